"""A fake Telegram Bot API that plays a timeline of updates live and enforces Telegram's limits.

For latency benchmarks (``bench/latency.py``), run in its own process:
``python -m bench.liveapi --timeline FILE`` binds a random port on 127.0.0.1, prints one JSON
line ``{"port": ...}`` on stdout, and serves until SIGTERM or SIGINT. From Python,
:class:`LiveApiProcess` does that.

The timeline (a JSON list, made by the driver) says which message arrives when: each entry has
``at`` (seconds after ``POST /_start``), ``chat`` and ``from`` (Bot API objects) and ``text``.
On ``/_start`` the server turns each entry into a message update at its time (``update_id``,
``message_id``, ``date`` and command entities filled in then), and a ``getUpdates`` long poll
in flight returns at once with it. For every update it records when it was created and when it
was first handed out in a ``getUpdates`` answer.

Sends are limited as Telegram limits them (sliding windows over accepted requests): 30 a second
overall (messages and edits), one a second into one private chat, 20 a minute into one group.
Beyond that the answer is 429 ``Too Many Requests: retry after N`` with ``parameters.retry_after``
(when the window frees, rounded up, at least 1 s); a refused request counts against nothing.
Every ``sendMessage`` (photo, document, edit) is recorded with its chat, the first characters of
its text, its arrival time and whether it was accepted.

Control endpoints, for the driver only:

- ``POST /_start``: start playing the timeline (once).
- ``GET /_stats``: small counters (updates created and handed out, sends, 429s, the time of the
  last accepted send, ``getUpdates`` calls so far).
- ``GET /_report``: everything recorded: updates and sends, with ``time.monotonic()`` instants.
- ``POST /_release``: ends the long polls in flight and makes later ones return at once, so a
  bot shuts down quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.fakeapi import BOT_PROFILE, BOT_USER, TOKEN, _error, _float, _int, _ok, _read_params, _str, stop_process

#: Telegram's limits, as sliding windows: (requests, seconds).
OVERALL = (30, 1.0)
PRIVATE = (1, 1.0)
GROUP = (20, 60.0)
SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument"}
EDIT_METHODS = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}
TEXT_KEPT = 60


@dataclass
class UpdateRecord:
    update_id: int
    chat_id: int
    user_id: int
    text: str
    date: int
    created: float
    handed_out: float | None = None


@dataclass
class SendRecord:
    method: str
    chat_id: int
    text: str
    at: float
    status: int  # 200 or 429
    retry_after: int | None = None


@dataclass
class Limits:
    overall: deque[float] = field(default_factory=deque)
    chats: dict[int, deque[float]] = field(default_factory=dict)

    def refusal(self, chat_id: int, new_message: bool, now: float) -> int | None:
        """None if the request is admitted (and counted), else the ``retry_after`` to answer."""
        waits = [_wait(self.overall, *OVERALL, now)]
        chat = self.chats.get(chat_id)
        if new_message:
            if chat is None:
                chat = self.chats[chat_id] = deque()
            waits.append(_wait(chat, *(GROUP if chat_id < 0 else PRIVATE), now))
        longest = max(waits)
        if longest > 0:
            return max(1, math.ceil(longest))
        self.overall.append(now)
        if new_message and chat is not None:
            chat.append(now)
        return None


def _wait(window: deque[float], limit: int, period: float, now: float) -> float:
    """Seconds until ``window`` has room for one more request (0: room now); prunes it."""
    while window and window[0] <= now - period:
        window.popleft()
    return window[0] + period - now if len(window) >= limit else 0.0


class LiveBotApi:
    def __init__(self, timeline: list[dict[str, Any]], token: str = TOKEN) -> None:
        self.token = token
        self.timeline = sorted(timeline, key=lambda entry: entry["at"])
        self.updates: list[UpdateRecord] = []
        self._encoded: list[bytes] = []
        self.sends: list[SendRecord] = []
        self.limits = Limits()
        self.calls: Counter[str] = Counter()
        self.confirmed = 0
        self.started_at: float | None = None
        self.played = False
        self.last_accepted: float | None = None
        self._next_message_id = 1_000_000
        self._message_ids: Counter[int] = Counter()
        self._arrived = asyncio.Event()
        self._released = asyncio.Event()
        self._player: asyncio.Task[None] | None = None

    def application(self) -> web.Application:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_post("/_start", self._start)
        app.router.add_get("/_stats", self._stats)
        app.router.add_get("/_report", self._report)
        app.router.add_post("/_release", self._release)
        return app

    # -- playing the timeline -----------------------------------------------------------------

    async def _play(self) -> None:
        assert self.started_at is not None
        for entry in self.timeline:
            delay = self.started_at + entry["at"] - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._add(entry)
        self.played = True

    def _add(self, entry: dict[str, Any]) -> None:
        chat, sender, text = entry["chat"], entry["from"], entry["text"]
        update_id = len(self.updates) + 1
        self._message_ids[chat["id"]] += 1
        now_epoch = int(time.time())
        message: dict[str, Any] = {
            "message_id": self._message_ids[chat["id"]],
            "from": sender,
            "chat": chat,
            "date": now_epoch,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        update = {"update_id": update_id, "message": message}
        self._encoded.append(json.dumps(update, separators=(",", ":")).encode())
        self.updates.append(UpdateRecord(update_id, chat["id"], sender["id"], text, now_epoch, time.monotonic()))
        # Wake the long polls waiting now; later ones wait on a fresh event.
        arrived, self._arrived = self._arrived, asyncio.Event()
        arrived.set()

    # -- routing ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(404, "Not Found")
        params = await _read_params(request)
        self.calls[method] += 1
        if method == "getMe":
            return _ok(json.dumps(BOT_USER).encode())
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in SEND_METHODS or method in EDIT_METHODS:
            return self._send(method, params)
        return _ok(b"true")  # deleteWebhook, setMyCommands, answerCallbackQuery...

    async def _get_updates(self, params: Mapping[str, Any]) -> web.Response:
        offset = _int(params.get("offset"), 0)
        limit = min(max(_int(params.get("limit"), 100), 1), 100)
        timeout = _float(params.get("timeout"), 0.0)
        if offset > 0:
            self.confirmed = max(self.confirmed, min(offset - 1, len(self.updates)))
        if self.confirmed >= len(self.updates) and timeout > 0:
            if self._released.is_set():  # the bot is being stopped: short polls, but no busy loop
                await asyncio.sleep(min(timeout, 0.1))
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout)
        batch = self._encoded[self.confirmed : self.confirmed + limit]
        now = time.monotonic()
        for record in self.updates[self.confirmed : self.confirmed + len(batch)]:
            if record.handed_out is None:
                record.handed_out = now
        return _ok(b"[" + b",".join(batch) + b"]")

    def _send(self, method: str, params: Mapping[str, Any]) -> web.Response:
        now = time.monotonic()
        chat_id = _int(params.get("chat_id"), 0)
        text = _str(params.get("text") or params.get("caption") or "")[:TEXT_KEPT]
        retry_after = self.limits.refusal(chat_id, method in SEND_METHODS, now)
        if retry_after is not None:
            self.sends.append(SendRecord(method, chat_id, text, now, 429, retry_after))
            body = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            }
            return web.json_response(body, status=429)
        self.sends.append(SendRecord(method, chat_id, text, now, 200))
        self.last_accepted = now
        if method in EDIT_METHODS:
            message_id = _int(params.get("message_id"), 1)
        else:
            message_id = self._next_message_id
            self._next_message_id += 1
        chat_type = "private" if chat_id > 0 else "supergroup"
        message = {
            "message_id": message_id,
            "from": BOT_PROFILE,
            "chat": {"id": chat_id, "type": chat_type},
            "date": int(time.time()),
            "text": text or "-",
        }
        return _ok(json.dumps(message, separators=(",", ":")).encode())

    # -- control ------------------------------------------------------------------------------

    async def _start(self, request: web.Request) -> web.Response:
        if self._player is None:
            self.started_at = time.monotonic()
            self._player = asyncio.create_task(self._play())
        return web.json_response({"started_at": self.started_at})

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "timeline": len(self.timeline),
                "created": len(self.updates),
                "handed_out": sum(1 for record in self.updates if record.handed_out is not None),
                "played": self.played,
                "sends": sum(1 for send in self.sends if send.status == 200),
                "rate_limited": sum(1 for send in self.sends if send.status == 429),
                "last_accepted": self.last_accepted,
                "get_updates_calls": self.calls["getUpdates"],
                "now": time.monotonic(),
            }
        )

    async def _report(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "started_at": self.started_at,
                "updates": [asdict(record) for record in self.updates],
                "sends": [asdict(send) for send in self.sends],
                "calls": dict(self.calls),
                "now": time.monotonic(),
            }
        )

    async def _release(self, request: web.Request) -> web.Response:
        self._released.set()
        self._arrived.set()
        return web.json_response({"released": True})


async def serve(timeline: list[dict[str, Any]], token: str = TOKEN) -> None:
    api = LiveBotApi(timeline, token)
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


def die_with_parent() -> None:
    """``preexec_fn`` for a child process: SIGTERM it if the driver dies, even by SIGKILL (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LiveApiProcess:
    """The live fake server in a child process; a context manager. :attr:`base_url` goes to the bot."""

    def __init__(self, timeline_path: Path, log_path: Path) -> None:
        self._timeline_path = timeline_path
        self._log_path = log_path
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> LiveApiProcess:
        root = Path(__file__).resolve().parent.parent
        with self._log_path.open("w") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bench.liveapi", "--timeline", str(self._timeline_path)],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,  # a Ctrl-C in the terminal is the driver's to handle
                preexec_fn=die_with_parent,
            )
        assert self._process.stdout is not None
        try:
            line = self._process.stdout.readline()
            if not line:
                raise RuntimeError(f"the live fake Bot API did not start: {self._log_path.read_text()[-2000:]}")
            self.port = int(json.loads(line)["port"])
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def _call(self, path: str, method: str = "GET") -> dict[str, Any]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def start_timeline(self) -> dict[str, Any]:
        return self._call("/_start", "POST")

    def stats(self) -> dict[str, Any]:
        return self._call("/_stats")

    def report(self) -> dict[str, Any]:
        return self._call("/_report")

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self._call("/_release", "POST")

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process, grace=5.0)
            self._process = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeline", type=Path, required=True, help="JSON list of timeline entries")
    parser.add_argument("--token", default=TOKEN)
    args = parser.parse_args()
    timeline = json.loads(args.timeline.read_text())
    asyncio.run(serve(timeline, args.token))


if __name__ == "__main__":
    main()
