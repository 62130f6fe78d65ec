"""A fake Telegram Bot API that enforces Telegram's send limits, run in its own process.

Start it as ``python -m bench.limitedapi``: it binds a random port on 127.0.0.1, prints one JSON
line ``{"port": ...}`` on stdout, and serves until SIGTERM or SIGINT (or until the process that
started it dies, on Linux). From Python, :class:`LimitedApiProcess` does that and talks to it.
It is the server for ``bench/burst.py``; ``bench/fakeapi.py`` is the one for ``bench/updates.py``
(no limits, a backlog of updates).

Limits, as Telegram applies them to one bot (429 "Too Many Requests: retry after N" beyond):

* at most ``--overall`` (30) messages in any 1-second window, all chats together; edits count
  here too (the bot's dispatcher paces them in the same budget), callback answers do not;
* at most 1 message in any 1-second window into one private chat;
* at most 20 messages in any 60-second window into one group (negative chat id).

A refused request is not carried out. Instants are taken when a request's parameters have been
read, i.e. when it "arrives": ``time.monotonic()`` for the windows and ``time.time()`` (the wall
clock the bot's ``SystemClock`` also reads) for the log.

Updates: the driver posts a plan (``POST /_plan``, ``{"updates": [[wall_time, update], ...]}``)
and each update becomes visible to ``getUpdates`` at its wall-clock instant, with update ids in
that order; a long poll returns as soon as one is released.

Control endpoints, for the driver only:

- ``GET /_stats?lo=A&hi=B``: counts so far, and how many chats with ids in ``[A, B)`` received a
  message, and how many messages they received (cheap enough to poll a few times a second).
- ``GET /_log``: every message delivered ``[chat_id, wall_time, method, text]``, every refusal
  ``[chat_id, wall_time, method, reason]``, every edit ``[chat_id, wall_time, method]`` and when
  each planned update was released and first handed out.
- ``POST /_release``: ends the long polls in flight and makes later ones return at once.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import ctypes
import json
import math
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict, deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.fakeapi import BOT_USER, TOKEN, _int, _read_params, _str, stop_process

SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendChatAction", "sendLocation", "copyMessage", "forwardMessage"}
)
EDIT_METHODS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption", "editMessageMedia"})
BOT_PROFILE = {key: BOT_USER[key] for key in ("id", "is_bot", "first_name", "username")}


class Limits:
    """Telegram's windows. :meth:`refusal` admits (and counts) a request or says why not."""

    def __init__(self, overall: float, per_chat: float, per_group_minute: float, edits_in_overall: bool) -> None:
        self.overall = overall
        self.per_chat = per_chat
        self.per_group_minute = per_group_minute
        self.edits_in_overall = edits_in_overall
        self._overall: deque[float] = deque()
        self._chats: dict[int, deque[float]] = defaultdict(deque)

    def refusal(self, chat_id: int, now: float, *, edit: bool) -> tuple[str, int] | None:
        """None when admitted, else (reason, retry_after seconds)."""
        overall = self._overall
        while overall and overall[0] <= now - 1.0:
            overall.popleft()
        counts_overall = not edit or self.edits_in_overall
        if counts_overall and len(overall) >= self.overall:
            return "overall", max(1, math.ceil(overall[0] + 1.0 - now))
        if not edit:
            window, limit = (60.0, self.per_group_minute) if chat_id < 0 else (1.0, self.per_chat)
            sent = self._chats[chat_id]
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) >= limit:
                return ("group" if chat_id < 0 else "chat"), max(1, math.ceil(sent[0] + window - now))
            sent.append(now)
        if counts_overall:
            overall.append(now)
        return None


class LimitedBotApi:
    def __init__(self, limits: Limits, token: str = TOKEN) -> None:
        self.token = token
        self.limits = limits
        self.responses: Counter[str] = Counter()
        self.messages: list[tuple[int, float, str, str]] = []
        self.refusals: list[tuple[int, float, str, str]] = []
        self.edits: list[tuple[int, float, str]] = []
        self.per_chat: Counter[int] = Counter()
        self._next_message_id = 1
        # Planned updates, in release order.
        self._release_at: list[float] = []
        self._encoded: list[bytes] = []
        self._first_update_id = 1
        self._handed_out_at: dict[int, float] = {}
        self._confirmed = 0  # updates (by position) confirmed through an offset
        self._news = asyncio.Event()
        self._released = False
        self._cpu_at_start = time.process_time()

    def application(self) -> web.Application:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/_stats", self._stats)
        app.router.add_get("/_log", self._log)
        app.router.add_post("/_plan", self._plan)
        app.router.add_post("/_release", self._release)
        return app

    # -- Bot API -----------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(404, "Not Found")
        params = await _read_params(request)
        self.responses[method] += 1
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "getMe":
            return _ok(json.dumps(BOT_USER).encode())
        if method == "getWebhookInfo":
            return _ok(b'{"url":"","has_custom_certificate":false,"pending_update_count":0}')
        if method in SEND_METHODS or method in EDIT_METHODS:
            return self._limited(method, params)
        return _ok(b"true")  # deleteWebhook, setMyCommands, answerCallbackQuery, ...

    def _limited(self, method: str, params: Mapping[str, Any]) -> web.Response:
        chat_id = _int(params.get("chat_id"), 0)
        edit = method in EDIT_METHODS
        wall = time.time()
        refused = self.limits.refusal(chat_id, time.monotonic(), edit=edit)
        if refused is not None:
            reason, retry_after = refused
            self.refusals.append((chat_id, wall, method, reason))
            return _error(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        text = _str(params.get("text") or params.get("caption") or "")
        if edit:
            self.edits.append((chat_id, wall, method))
            message_id = _int(params.get("message_id"), 1)
        else:
            self.messages.append((chat_id, wall, method, text))
            self.per_chat[chat_id] += 1
            message_id = self._next_message_id
            self._next_message_id += 1
        message = {
            "message_id": message_id,
            "from": BOT_PROFILE,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "date": int(wall),
            "text": text or "-",
        }
        return _ok(json.dumps(message, separators=(",", ":")).encode())

    async def _get_updates(self, params: Mapping[str, Any]) -> web.Response:
        offset = _int(params.get("offset"), 0)
        limit = min(max(_int(params.get("limit"), 100), 1), 100)
        deadline = time.monotonic() + max(0.0, float(_str(params.get("timeout")) or 0))
        if offset > 0:  # an offset confirms every update before it, as on Telegram
            self._confirmed = max(self._confirmed, min(offset - self._first_update_id, len(self._encoded)))
        while True:
            news = self._news
            wall = time.time()
            released = bisect.bisect_right(self._release_at, wall)
            if self._confirmed < released:
                end = min(released, self._confirmed + limit)
                for position in range(self._confirmed, end):
                    self._handed_out_at.setdefault(position + self._first_update_id, wall)
                return _ok(b"[" + b",".join(self._encoded[self._confirmed : end]) + b"]")
            wait = deadline - time.monotonic()
            if released < len(self._release_at):
                wait = min(wait, self._release_at[released] - wall)
            if self._released or wait <= 0:
                return _ok(b"[]")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(news.wait(), wait)

    def _announce(self) -> None:
        self._news.set()
        self._news = asyncio.Event()

    # -- control -----------------------------------------------------------------------------------

    async def _plan(self, request: web.Request) -> web.Response:
        planned = sorted(((float(at), update) for at, update in (await request.json())["updates"]), key=lambda p: p[0])
        if self._release_at and planned and planned[0][0] < self._release_at[-1]:
            return _error(400, "a plan must come after the updates already planned")
        for at, update in planned:
            update["update_id"] = self._first_update_id + len(self._encoded)
            self._release_at.append(at)
            self._encoded.append(json.dumps(update, separators=(",", ":")).encode())
        self._announce()
        return web.json_response({"planned": len(planned)})

    async def _stats(self, request: web.Request) -> web.Response:
        lo = _int(request.query.get("lo"), 0)
        hi = _int(request.query.get("hi"), 0)
        in_range = [count for chat_id, count in self.per_chat.items() if lo <= chat_id < hi]
        reasons = Counter(reason for _, _, _, reason in self.refusals)
        return web.json_response(
            {
                "messages": len(self.messages),
                "edits": len(self.edits),
                "refused": len(self.refusals),
                "refused_by_reason": dict(reasons),
                "chats_in_range": len(in_range),
                "messages_in_range": sum(in_range),
                "updates_planned": len(self._encoded),
                "updates_handed_out": len(self._handed_out_at),
                "responses": dict(self.responses),
                "cpu_seconds": time.process_time() - self._cpu_at_start,
                "now": time.time(),
            }
        )

    async def _log(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "messages": self.messages,
                "refusals": self.refusals,
                "edits": self.edits,
                "released_at": {
                    str(self._first_update_id + i): at for i, at in enumerate(self._release_at)
                },
                "handed_out_at": {str(k): v for k, v in self._handed_out_at.items()},
                "cpu_seconds": time.process_time() - self._cpu_at_start,
            }
        )

    async def _release(self, request: web.Request) -> web.Response:
        self._released = True
        self._announce()
        return web.json_response({"released": True})


def _ok(result: bytes) -> web.Response:
    return web.Response(body=b'{"ok":true,"result":' + result + b"}", content_type="application/json")


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


async def serve(limits: Limits, token: str) -> None:
    api = LimitedBotApi(limits, token)
    runner = web.AppRunner(api.application(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(json.dumps({"port": port}), flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


# -- the driver's handle on the server process --------------------------------------------------------


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the parent dies, however it dies (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LimitedApiProcess:
    """The server in a child process. Use as a context manager; it is stopped on the way out."""

    def __init__(self, log_path: Path, *, overall: float = 30, per_chat: float = 1, edits_in_overall: bool = True) -> None:
        self._args = ["--overall", str(overall), "--per-chat", str(per_chat)]
        if not edits_in_overall:
            self._args.append("--edits-free")
        self._log_path = log_path
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> LimitedApiProcess:
        root = Path(__file__).resolve().parent.parent
        with self._log_path.open("w") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bench.limitedapi", *self._args],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,  # a Ctrl-C in the terminal is the driver's to handle
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        assert self._process.stdout is not None
        try:
            line = self._process.stdout.readline()
            if not line:
                raise RuntimeError(f"the fake Bot API did not start: {self._log_path.read_text()[-2000:]}")
            self.port = int(json.loads(line)["port"])
        except BaseException:  # including Ctrl-C: never leave the process behind
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.control_url}/_log", timeout=60) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process, grace=5.0)
            self._process = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overall", type=float, default=30, help="messages in any 1 s window, all chats")
    parser.add_argument("--per-chat", type=float, default=1, help="messages in any 1 s window, one private chat")
    parser.add_argument("--per-group-minute", type=float, default=20, help="messages in any 60 s window, one group")
    parser.add_argument("--edits-free", action="store_true", help="edits do not count in the overall window")
    parser.add_argument("--token", default=TOKEN)
    args = parser.parse_args()
    limits = Limits(args.overall, args.per_chat, args.per_group_minute, edits_in_overall=not args.edits_free)
    asyncio.run(serve(limits, args.token))


if __name__ == "__main__":
    main()
