"""Webhook mode: one small ASGI app (Starlette, served by uvicorn) with Telegram's webhook and a
health check, following python-telegram-bot's custom-webhook pattern (no Updater; our route
hands updates to the application).

- ``POST <path of WEBHOOK_URL>``: Telegram's updates. The secret token header is compared in
  constant time; a request without the right one gets 403 and nothing is handled. An update is
  answered 200 only after it is recorded in the inbox, so a crash right after loses nothing
  (Telegram sends again what it did not get a 200 for, and the inbox drops the repeat).
- ``GET /healthz``: 200 with the database's and the clock's state, 503 when either is broken.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: What /healthz may report of a part that works ("standby": a replica not running the clock).
HEALTHY = {"ok", "standby"}
#: Telegram's updates are small; anything far larger is not one of them.
MAX_BODY_BYTES = 1_000_000


def webhook_app(
    *,
    path: str,
    secret: str,
    accept: Callable[[Any], Awaitable[None]],
    health: Callable[[], Awaitable[dict[str, str]]],
) -> Starlette:
    expected = secret.encode()

    async def telegram_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("Refused a webhook request without the right secret token (from %s)", _client(request))
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse("too large", status_code=413)
        try:
            payload = json.loads(body)
        except ValueError:
            return PlainTextResponse("not JSON", status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return PlainTextResponse("not an update", status_code=400)
        try:
            await accept(payload)
        except Exception:
            log.exception("Could not record update %s; Telegram will send it again", payload["update_id"])
            return PlainTextResponse("try again", status_code=503)
        return Response(status_code=200)

    async def healthz(_request: Request) -> Response:
        state = await health()
        healthy = all(value in HEALTHY for value in state.values())
        return JSONResponse(state, status_code=200 if healthy else 503)

    return Starlette(
        routes=[
            Route(path, telegram_update, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


class WebServerError(Exception):
    """The webhook's server cannot start; ``str()`` is one line for the operator."""


class _QuietServer(uvicorn.Server):
    """uvicorn, minus its signal handlers: the bot's own SIGTERM/SIGINT handling stops it."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebServer:
    """uvicorn serving the app on ``host:port`` inside our event loop, without its own signal
    handling or logging set-up (the bot owns both)."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off")
        self._server = _QuietServer(config)
        self._host = host
        self._port = port
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Bound here, not by uvicorn: it answers a taken port with sys.exit() inside our loop.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self._host, self._port))
        except OSError as exc:
            listener.close()
            raise WebServerError(f"cannot listen on port {self._port} ({exc.strerror or exc})") from None
        self._task = asyncio.create_task(self._server.serve(sockets=[listener]), name="web-server")
        while not self._server.started:
            if self._task.done():
                await asyncio.gather(self._task, return_exceptions=True)
                raise WebServerError(f"the web server on port {self._port} stopped while starting")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        await asyncio.gather(self._task, return_exceptions=True)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
