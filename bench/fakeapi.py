"""A minimal, fast fake Telegram Bot API server for throughput benchmarks, run in its own process.

Start it as ``python -m bench.fakeapi --updates 2000 --users 500 --seed 1``: it binds a random
port on 127.0.0.1, prints one JSON line ``{"port": ...}`` on stdout, and serves until SIGTERM or
SIGINT. From Python, :class:`FakeApiProcess` does that and reads the stats.

A bot pointed at ``http://127.0.0.1:PORT/bot`` gets a backlog of pre-generated updates through
``getUpdates`` (long poll with ``offset``, ``limit``, ``timeout``), and every reply it sends is
answered with Telegram-shaped JSON. Nothing is validated beyond what is needed to count replies:
this server must cost the bot as little as possible, so it is not a test double (see
``tests/fake_telegram.py`` for that).

Counting replies. Each callback query is matched by its id to the update that carried it. Each
``sendMessage`` (or photo or document) is matched by chat: a chat's message updates count as
answered once the chat has received at least as many messages as it sent. That is exact for a
bot that handles each chat's updates in order, sends at least one message per message update and
none for the (unknown) button presses, provided a command that sends more than one message
(Limber's ``/start`` sends two) is the last message update of its chat, which
:func:`make_updates` guarantees. Extra messages are counted in ``messages_sent`` but never credit
an update.

Control endpoints, for the benchmark driver only:

- ``GET /_stats``: response counts per method, how many updates were handed out and answered,
  and the ``time.monotonic()`` instants of the first ``getUpdates`` that handed out updates and
  of the reply that completed the last update.
- ``POST /_release``: ends the long polls in flight and makes later ones return at once, so a bot
  shuts down quickly.

This module is also the one base of the other fake servers (``bench/limitedapi.py``,
``bench/liveapi.py``): the aiohttp skeleton (:class:`BotApiServer`), Telegram-shaped responses,
Telegram's send limits (:class:`Limits`), :func:`serve` and the process handle (:class:`ApiProcess`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import math
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
BOT_USER: dict[str, Any] = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Bench",
    "username": "bench_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

#: The bot as it appears in a message's ``from``.
BOT_PROFILE = {key: BOT_USER[key] for key in ("id", "is_bot", "first_name", "username")}

#: Share of each kind of update in the mix.
TEXT_SHARE, COMMAND_SHARE, CALLBACK_SHARE = 0.5, 0.3, 0.2
COMMANDS = ("/help", "/start", "/reminders", "/routines")
#: The command that may answer with more than one message; kept last among a chat's messages.
MULTI_REPLY_COMMAND = "/start"
TEXTS = (
    "hi",
    "hello there",
    "my lower back is stiff today",
    "how long does the routine take?",
    "thanks!",
    "can I do this at my desk?",
    "ok",
    "what should I stretch after sitting all day",
    "12",
    "later",
)
#: Callback data no bot recognises: Limber answers it with a toast, the peers with an empty answer.
CALLBACK_DATA = "x"
FIRST_USER_ID = 10_000_001
#: Date stamped on generated updates: a fixed instant keeps runs with one seed identical.
UPDATE_DATE = 1_767_600_000


# -- the update mix ------------------------------------------------------------------------------


def make_updates(count: int, users: int, seed: int) -> list[dict[str, Any]]:
    """``count`` updates from ``users`` private chats: texts, commands and button presses.

    The same arguments always give the same updates, so every contender faces the same mix.
    Each chat sends ``/start`` at most once, as its last message (see the module docstring).
    """
    rng = random.Random(seed)
    kinds = rng.choices(("text", "command", "callback"), (TEXT_SHARE, COMMAND_SHARE, CALLBACK_SHARE), k=count)
    senders = [FIRST_USER_ID + rng.randrange(users) for _ in range(count)]
    contents = [
        rng.choice(TEXTS) if kind == "text" else rng.choice(COMMANDS) if kind == "command" else CALLBACK_DATA
        for kind in kinds
    ]
    _move_start_last(kinds, senders, contents)

    updates: list[dict[str, Any]] = []
    message_ids: Counter[int] = Counter()
    for index, (kind, user_id, content) in enumerate(zip(kinds, senders, contents, strict=True)):
        update_id = index + 1
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id % 100_000}", "language_code": "en"}
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        message_ids[user_id] += 1
        if kind == "callback":
            # The button sits under an earlier message of the bot in this chat.
            bot_message = {
                "message_id": message_ids[user_id],
                "from": BOT_PROFILE,
                "chat": chat,
                "date": UPDATE_DATE,
                "text": "Pick one",
                "reply_markup": {"inline_keyboard": [[{"text": "Tap", "callback_data": content}]]},
            }
            updates.append(
                {
                    "update_id": update_id,
                    "callback_query": {
                        "id": f"q{update_id}",
                        "from": user,
                        "message": bot_message,
                        "chat_instance": f"ci{user_id}",
                        "data": content,
                    },
                }
            )
            continue
        message: dict[str, Any] = {
            "message_id": message_ids[user_id],
            "from": user,
            "chat": chat,
            "date": UPDATE_DATE + index,
            "text": content,
        }
        if kind == "command":
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(content)}]
        updates.append({"update_id": update_id, "message": message})
    return updates


def busiest_second(instants: list[float]) -> int:
    """The most of ``instants`` (seconds) that fall within any one second."""
    instants = sorted(instants)
    best, low = 0, 0
    for high, at in enumerate(instants):
        while instants[low] <= at - 1.0:
            low += 1
        best = max(best, high - low + 1)
    return best


def busiest_chat(updates: list[dict[str, Any]]) -> int:
    """How many of ``updates`` come from the chat that sends the most."""
    per_chat = Counter(
        (update["message"] if "message" in update else update["callback_query"]["message"])["chat"]["id"]
        for update in updates
    )
    return max(per_chat.values(), default=0)


def _move_start_last(kinds: list[str], senders: list[int], contents: list[str]) -> None:
    """Keep at most one ``/start`` per chat, as that chat's last message update (in place).

    In a chat that sends ``/start``, its first ``/start`` trades places with the chat's last
    message update and any other ``/start`` becomes ``/help``, so the shares of texts and
    commands stay as drawn.
    """
    message_slots: dict[int, list[int]] = defaultdict(list)
    for index, kind in enumerate(kinds):
        if kind != "callback":
            message_slots[senders[index]].append(index)
    for slots in message_slots.values():
        starts = [index for index in slots if contents[index] == MULTI_REPLY_COMMAND]
        if not starts:
            continue
        first, last = starts[0], slots[-1]
        kinds[first], contents[first] = kinds[last], contents[last]
        kinds[last], contents[last] = "command", MULTI_REPLY_COMMAND
        for index in slots[:-1]:
            if contents[index] == MULTI_REPLY_COMMAND:
                contents[index] = "/help"


# -- Telegram-shaped responses and parameters (shared by every fake server) ------------------------


def _ok(result: bytes) -> web.Response:
    return web.Response(body=b'{"ok":true,"result":' + result + b"}", content_type="application/json")


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def too_many_requests(retry_after: int) -> web.Response:
    """Telegram's 429, with ``parameters.retry_after``."""
    return _error(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def message_json(chat_id: int, message_id: int, content: dict[str, Any]) -> bytes:
    """A message of the bot's into ``chat_id`` (a group for a negative id), encoded."""
    message = {
        "message_id": message_id,
        "from": BOT_PROFILE,
        "chat": {"id": chat_id, "type": "private" if chat_id >= 0 else "supergroup"},
        "date": int(time.time()),
        **content,
    }
    return json.dumps(message, separators=(",", ":")).encode()


async def _read_params(request: web.Request) -> Mapping[str, Any]:
    """Parameters as sent: a JSON body, a form (urlencoded or multipart), or the query string."""
    if request.content_type == "application/json":
        body = await request.read()
        return json.loads(body) if body else {}
    if request.body_exists:
        return await request.post()
    return request.query


def _str(value: Any) -> str:
    """A string parameter; form encoders may have JSON-quoted it."""
    text = str(value) if value is not None else ""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _int(value: Any, default: int) -> int:
    try:
        return int(_str(value)) if value is not None and value != "" else default
    except ValueError:
        return default


def _float(value: Any, default: float) -> float:
    try:
        return float(_str(value)) if value is not None and value != "" else default
    except ValueError:
        return default


# -- Telegram's send limits (the limited and live servers) ----------------------------------------

#: Methods that put a new message into a chat, and methods that change one.
SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendChatAction", "sendLocation", "copyMessage", "forwardMessage"}
)
EDIT_METHODS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption", "editMessageMedia"})


class Limits:
    """Telegram's sliding windows over admitted requests. :meth:`refusal` admits (and counts) a
    request or says why not; a refused request counts against nothing.

    * at most ``overall`` messages in any 1-second window, all chats together; edits count here
      too unless ``edits_in_overall`` is false; callback answers never do;
    * at most ``per_chat`` messages in any 1-second window into one private chat;
    * at most ``per_group_minute`` messages in any 60-second window into one group (negative id).
    """

    def __init__(
        self, overall: float = 30, per_chat: float = 1, per_group_minute: float = 20, edits_in_overall: bool = True
    ) -> None:
        self.overall = overall
        self.per_chat = per_chat
        self.per_group_minute = per_group_minute
        self.edits_in_overall = edits_in_overall
        self._overall: deque[float] = deque()
        self._chats: dict[int, deque[float]] = defaultdict(deque)

    def refusal(self, chat_id: int, now: float, *, edit: bool) -> tuple[str, int] | None:
        """None when admitted, else (reason, retry_after seconds: when every full window frees)."""
        waits: list[tuple[float, str]] = []
        counts_overall = not edit or self.edits_in_overall
        if counts_overall:
            waits.append((_wait(self._overall, self.overall, 1.0, now), "overall"))
        if not edit:
            window, limit = (60.0, self.per_group_minute) if chat_id < 0 else (1.0, self.per_chat)
            waits.append((_wait(self._chats[chat_id], limit, window, now), "group" if chat_id < 0 else "chat"))
        full = [(wait, reason) for wait, reason in waits if wait > 0]
        if full:
            return full[0][1], max(1, math.ceil(max(wait for wait, _ in full)))
        if counts_overall:
            self._overall.append(now)
        if not edit:
            self._chats[chat_id].append(now)
        return None


def _wait(window: deque[float], limit: float, period: float, now: float) -> float:
    """Seconds until ``window`` has room for one more request (0: room now); prunes it."""
    while window and window[0] <= now - period:
        window.popleft()
    return window[0] + period - now if len(window) >= limit else 0.0


# -- the server skeleton --------------------------------------------------------------------------

ControlRoute = tuple[str, str, Callable[[web.Request], Awaitable[web.Response]]]


class BotApiServer:
    """The aiohttp application every fake server is: Bot API methods under ``/bot<token>/``
    (counted per method in :attr:`responses`), ``getUpdates`` long polls over :attr:`_encoded`
    (update ids from 1), optional :class:`Limits` on sends and edits, and control routes.

    A variant overrides the hooks: :meth:`_available` (how many updates are visible now),
    :meth:`_next_release_in`, :meth:`_handing_out`, :meth:`_arrived` (a limited request, admitted
    or refused) and :meth:`control_routes`; it calls :meth:`_announce` when updates appear.
    """

    #: How long a poll that starts after ``/_release`` waits (when nothing is there) before answering.
    poll_wait_when_released = 0.0

    def __init__(self, token: str = TOKEN, limits: Limits | None = None) -> None:
        self.token = token
        self.limits = limits
        self.responses: Counter[str] = Counter()
        self.confirmed = 0  # updates confirmed by an offset (they are never handed out again)
        self._encoded: list[bytes] = []
        self._next_message_id = 1_000_000
        self._news = asyncio.Event()
        self._released = False
        self._methods: dict[str, Callable[[Mapping[str, Any]], Awaitable[web.Response]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "getWebhookInfo": self._get_webhook_info,
        }

    def control_routes(self) -> list[ControlRoute]:
        return [("POST", "/_release", self._release)]

    def application(self) -> web.Application:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        for verb, path, handler in self.control_routes():
            app.router.add_route(verb, path, handler)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(404, "Not Found")
        params = await _read_params(request)
        self.responses[method] += 1
        if self.limits is not None and (method in SEND_METHODS or method in EDIT_METHODS):
            return self._limited(method, params)
        handler = self._methods.get(method)
        return await handler(params) if handler is not None else _ok(b"true")  # setMyCommands, ...

    def _new_message_id(self) -> int:
        number = self._next_message_id
        self._next_message_id += 1
        return number

    # -- Bot API methods ----------------------------------------------------------------------

    async def _get_me(self, params: Mapping[str, Any]) -> web.Response:
        return _ok(json.dumps(BOT_USER).encode())

    async def _get_webhook_info(self, params: Mapping[str, Any]) -> web.Response:
        return _ok(b'{"url":"","has_custom_certificate":false,"pending_update_count":0}')

    async def _get_updates(self, params: Mapping[str, Any]) -> web.Response:
        limit = min(max(_int(params.get("limit"), 100), 1), 100)
        deadline = time.monotonic() + max(0.0, _float(params.get("timeout"), 0.0))
        offset = _int(params.get("offset"), 0)
        if offset > 0:  # an offset confirms every update before it, as on Telegram
            self.confirmed = max(self.confirmed, min(offset - 1, len(self._encoded)))
        while True:
            news = self._news
            batch = self._batch(limit)
            if batch is not None:
                return batch
            wait = deadline - time.monotonic()
            next_release = self._next_release_in()
            if next_release is not None:
                wait = min(wait, next_release)
            if wait <= 0:
                return _ok(b"[]")
            if self._released:  # the bot is being stopped: polls return at once (or nearly)
                await asyncio.sleep(min(wait, self.poll_wait_when_released))
                return self._batch_or_empty(limit)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(news.wait(), wait)
            if self._released:  # a poll in flight ends at once
                return self._batch_or_empty(limit)

    def _batch_or_empty(self, limit: int) -> web.Response:
        batch = self._batch(limit)
        return batch if batch is not None else _ok(b"[]")

    def _batch(self, limit: int) -> web.Response | None:
        start = self.confirmed
        end = min(self._available(), start + limit)
        if end <= start:
            return None
        self._handing_out(start, end)
        return _ok(b"[" + b",".join(self._encoded[start:end]) + b"]")

    def _limited(self, method: str, params: Mapping[str, Any]) -> web.Response:
        assert self.limits is not None
        chat_id = _int(params.get("chat_id"), 0)
        edit = method in EDIT_METHODS
        text = _str(params.get("text") or params.get("caption") or "")
        now = time.monotonic()
        refused = self.limits.refusal(chat_id, now, edit=edit)
        self._arrived(method, chat_id, text, now, refused)
        if refused is not None:
            return too_many_requests(refused[1])
        message_id = _int(params.get("message_id"), 1) if edit else self._new_message_id()
        return _ok(message_json(chat_id, message_id, {"text": text or "-"}))

    # -- hooks --------------------------------------------------------------------------------

    def _available(self) -> int:
        """How many of the updates are visible to ``getUpdates`` now."""
        return len(self._encoded)

    def _next_release_in(self) -> float | None:
        """Seconds until another update becomes visible by itself, if one will."""
        return None

    def _handing_out(self, start: int, end: int) -> None:
        """Updates ``start`` to ``end`` (positions) are in a ``getUpdates`` answer."""

    def _arrived(self, method: str, chat_id: int, text: str, now: float, refused: tuple[str, int] | None) -> None:
        """A limited request arrived at ``now`` (``time.monotonic()``); ``refused`` as from :class:`Limits`."""

    def _announce(self) -> None:
        """Wake the long polls waiting now; later ones wait on a fresh event."""
        news, self._news = self._news, asyncio.Event()
        news.set()

    # -- control ------------------------------------------------------------------------------

    async def _release(self, request: web.Request) -> web.Response:
        self._released = True
        self._announce()
        return web.json_response({"released": True})


async def serve(api: BotApiServer) -> None:
    """Serve on a random port of 127.0.0.1, announce it on stdout, and run until a stop signal."""
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


# -- the fast server: a backlog of updates, every reply counted -----------------------------------


@dataclass
class Tally:
    """What the bot has answered so far, and when the last update got its answer."""

    expected_messages: dict[int, int]
    pending_queries: set[str]
    received_messages: Counter[int] = field(default_factory=Counter)
    answered_messages: int = 0
    answered_queries: int = 0
    incomplete_chats: int = 0
    first_handed_out: float | None = None
    last_answered: float | None = None
    #: This process's CPU time at those two instants: how busy the server itself was.
    cpu_at_first: float | None = None
    cpu_at_last: float | None = None

    @classmethod
    def for_updates(cls, updates: list[dict[str, Any]]) -> Tally:
        expected: Counter[int] = Counter()
        queries: set[str] = set()
        for update in updates:
            if "message" in update:
                expected[update["message"]["chat"]["id"]] += 1
            else:
                queries.add(update["callback_query"]["id"])
        tally = cls(dict(expected), queries)
        tally.incomplete_chats = len(expected)
        return tally

    @property
    def done(self) -> bool:
        return self.incomplete_chats == 0 and not self.pending_queries

    def message_sent(self, chat_id: int) -> None:
        expected = self.expected_messages.get(chat_id, 0)
        received = self.received_messages[chat_id] = self.received_messages[chat_id] + 1
        if received <= expected:
            self.answered_messages += 1
            if received == expected:
                self.incomplete_chats -= 1
                self._maybe_done()

    def query_answered(self, query_id: str) -> None:
        if query_id in self.pending_queries:
            self.pending_queries.discard(query_id)
            self.answered_queries += 1
            self._maybe_done()

    def _maybe_done(self) -> None:
        if self.done and self.last_answered is None:
            self.last_answered = time.monotonic()
            self.cpu_at_last = time.process_time()


class FakeBotApi(BotApiServer):
    """The fast server: a backlog of updates, no limits, replies counted in a :class:`Tally`."""

    def __init__(self, updates: list[dict[str, Any]], token: str = TOKEN) -> None:
        super().__init__(token)
        self.updates = updates
        # Updates are encoded once: getUpdates only joins bytes.
        self._encoded = [json.dumps(update, separators=(",", ":")).encode() for update in updates]
        self.tally = Tally.for_updates(updates)
        self.handed_out = 0  # highest number of updates handed out so far
        self._methods.update(
            {
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message,
                "editMessageReplyMarkup": self._edit_message,
                "answerCallbackQuery": self._answer_callback_query,
            }
        )

    def control_routes(self) -> list[ControlRoute]:
        return [*super().control_routes(), ("GET", "/_stats", self._stats)]

    def _handing_out(self, start: int, end: int) -> None:
        if self.tally.first_handed_out is None:
            self.tally.first_handed_out = time.monotonic()
            self.tally.cpu_at_first = time.process_time()
        self.handed_out = max(self.handed_out, end)

    async def _send_message(self, params: Mapping[str, Any]) -> web.Response:
        return self._delivered(params, {"text": str(params.get("text", ""))})

    async def _send_photo(self, params: Mapping[str, Any]) -> web.Response:
        number = self._next_message_id
        photo = [{"file_id": f"photo{number}", "file_unique_id": f"p{number}", "width": 800, "height": 500}]
        return self._delivered(params, {"photo": photo})

    async def _send_document(self, params: Mapping[str, Any]) -> web.Response:
        number = self._next_message_id
        return self._delivered(params, {"document": {"file_id": f"doc{number}", "file_unique_id": f"d{number}"}})

    async def _edit_message(self, params: Mapping[str, Any]) -> web.Response:
        chat_id = _int(params.get("chat_id"), 0)
        message_id = _int(params.get("message_id"), 1)
        text = params.get("text")
        return _ok(message_json(chat_id, message_id, {"text": str(text) if text is not None else "Pick one"}))

    async def _answer_callback_query(self, params: Mapping[str, Any]) -> web.Response:
        self.tally.query_answered(_str(params.get("callback_query_id")))
        return _ok(b"true")

    def _delivered(self, params: Mapping[str, Any], content: dict[str, Any]) -> web.Response:
        chat_id = _int(params.get("chat_id"), 0)
        self.tally.message_sent(chat_id)
        return _ok(message_json(chat_id, self._new_message_id(), content))

    async def _stats(self, request: web.Request) -> web.Response:
        tally = self.tally
        return web.json_response(
            {
                "updates": len(self.updates),
                "handed_out": self.handed_out,
                "confirmed": self.confirmed,
                "answered": tally.answered_messages + tally.answered_queries,
                "answered_messages": tally.answered_messages,
                "answered_queries": tally.answered_queries,
                "messages_sent": sum(tally.received_messages.values()),
                "done": tally.done,
                "first_handed_out": tally.first_handed_out,
                "last_answered": tally.last_answered,
                "server_cpu_seconds": (
                    tally.cpu_at_last - tally.cpu_at_first
                    if tally.cpu_at_last is not None and tally.cpu_at_first is not None
                    else None
                ),
                "now": time.monotonic(),
                "responses": dict(self.responses),
            }
        )


# -- the driver's handle on a server process ------------------------------------------------------


def die_with_parent() -> None:
    """``preexec_fn`` for a child process: SIGTERM it if the driver dies, even by SIGKILL (Linux)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_process(process: subprocess.Popen[Any], grace: float) -> int | None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; returns the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
    return process.returncode


class ApiProcess:
    """A fake server (``python -m MODULE ARGS``) in a child process, so it never competes for the
    bot's event loop. Use as a context manager; :attr:`base_url` goes to the bot (it ends in ``/bot``).
    """

    module = "bench.fakeapi"

    def __init__(self, args: list[str], log_path: Path) -> None:
        self._args = args
        self._log_path = log_path
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> Self:
        root = Path(__file__).resolve().parent.parent
        with self._log_path.open("w") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", self.module, *self._args],
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
                raise RuntimeError(f"{self.module} did not start: {self._log_path.read_text()[-2000:]}")
            self.port = int(json.loads(line)["port"])
        except BaseException:  # including Ctrl-C: never leave the process behind
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"{self.control_url}/bot"

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def _call(self, path: str, method: str = "GET", timeout: float = 10) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.control_url}{path}", method=method)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def stats(self) -> dict[str, Any]:
        return self._call("/_stats")

    def release(self) -> None:
        """End the bot's long polls now, so it can stop without waiting out a poll."""
        with contextlib.suppress(OSError):
            self._call("/_release", "POST", timeout=5)

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process, grace=5.0)
            self._process = None


class FakeApiProcess(ApiProcess):
    """The fast server with ``updates`` generated by :func:`make_updates`."""

    def __init__(self, updates: int, users: int, seed: int, log_path: Path) -> None:
        super().__init__(["--updates", str(updates), "--users", str(users), "--seed", str(seed)], log_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000, help="updates to hand out (default 2000)")
    parser.add_argument("--users", type=int, default=500, help="distinct users, each in a private chat")
    parser.add_argument("--seed", type=int, default=1, help="seed of the update mix")
    parser.add_argument("--token", default=TOKEN)
    args = parser.parse_args()
    updates = make_updates(args.updates, args.users, args.seed)
    asyncio.run(serve(FakeBotApi(updates, args.token)))


if __name__ == "__main__":
    main()
