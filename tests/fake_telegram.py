"""A fake Telegram Bot API server on 127.0.0.1, and people who chat with the bot through it.

The bot under test talks to this server exactly as it talks to api.telegram.org: HTTP requests
to ``/bot<token>/<method>``, long-polled ``getUpdates``. Tests act as a person would:

    user = api.user()
    await user.send("/stretch")
    pose = await user.next_message("1/")  # after the safety note of a first routine
    await user.press(pose, "Pause")

The server keeps every chat's messages with their current text and buttons, so a test sees what
a user would see, including buttons that were taken away. It answers the way Telegram does:
400 "message is not modified" for an edit that changes nothing, 403 for a user who blocked the
bot (or a group the bot is not in), 404 for a wrong token, and 429 with ``retry_after`` when
rate limits are switched on.

Tests can also inject the faults the real network produces, per Bot API method, in order:

    api.inject("sendMessage", Status(429, retry_after=2), Status(502), Drop(), Delay(10))
    api.inject_always("getUpdates", Delay(1))

and play group chats (``api.group()``), message edits (``user.edit()``) and malformed updates
(``api.push_raw_update()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import itertools
import json
import math
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Limber", "username": "limber_test_bot"}

# Parameters that Telegram takes as plain strings; every other form field is JSON.
_STRING_PARAMS = {
    "text", "caption", "callback_query_id", "parse_mode", "emoji", "filename", "language_code", "url",
    "secret_token",
}

# What Telegram says with each status when a test does not say otherwise.
_DESCRIPTIONS = {
    401: "Unauthorized",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


# -- faults ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """Answer with this HTTP status and a Telegram error body; the request is not carried out.

    A 429 always carries ``retry_after`` (1 s unless given), as Telegram's do.
    """

    code: int
    description: str | None = None
    retry_after: int | None = None

    def response(self) -> web.Response:
        retry_after = self.retry_after if self.retry_after is not None or self.code != 429 else 1
        description = self.description
        if description is None and self.code == 429:
            description = f"Too Many Requests: retry after {retry_after}"
        if description is None:
            description = _DESCRIPTIONS.get(self.code) or HTTPStatus(self.code).phrase
        return _error(self.code, description, None if retry_after is None else {"retry_after": retry_after})


@dataclass(frozen=True)
class Drop:
    """Close the connection without any response; the request is not carried out.

    As when a proxy drops the connection before forwarding: the client sees the server
    disconnect (aiohttp: ``ServerDisconnectedError``; httpx: ``RemoteProtocolError``).
    """


@dataclass(frozen=True)
class Delay:
    """Carry the request out at once, but send the response only after ``seconds``.

    A client with a shorter read timeout times out although the message was delivered. Other
    requests are served meanwhile, and the delay ends early when the server stops.
    """

    seconds: float


@dataclass(frozen=True)
class DropAfter:
    """Carry the request out, then close the connection without a response."""


Fault = Status | Drop | Delay | DropAfter


# -- records -----------------------------------------------------------------------------------


@dataclass
class Message:
    """A message in a chat as the user currently sees it."""

    chat_id: int
    message_id: int
    html: str
    keyboard: list[list[dict[str, Any]]] | None
    kind: str = "text"
    from_bot: bool = True
    file: bytes | None = None
    file_name: str | None = None
    edits: int = 0
    chat_title: str | None = None
    #: Telegram's id for the photo or document (the same id when a file is sent again by id).
    file_id: str | None = None

    @property
    def text(self) -> str:
        """The text as displayed: tags removed, entities decoded."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.html))

    @property
    def buttons(self) -> list[str]:
        return [button["text"] for row in self.keyboard or [] for button in row]

    def callback_data(self, label: str) -> str:
        for row in self.keyboard or []:
            for button in row:
                if label.lower() in button["text"].lower():
                    return button["callback_data"]
        raise AssertionError(f"no button {label!r} under message: {self.buttons} / {self.text!r}")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": BOT_USER if self.from_bot else {"id": self.chat_id, "is_bot": False, "first_name": "User"},
            "chat": _chat_json(self.chat_id, self.chat_title),
            "date": int(time.time()),
        }
        if self.kind == "text":
            data["text"] = self.text
        elif self.kind == "photo":
            data["photo"] = [
                {
                    "file_id": self.file_id,
                    "file_unique_id": self.file_id,
                    "width": 800,
                    "height": 500,
                }
            ]
        elif self.kind == "document":
            data["document"] = {
                "file_id": f"doc{self.message_id}",
                "file_unique_id": f"d{self.message_id}",
                "file_name": self.file_name,
            }
        if self.kind != "text" and self.html:
            data["caption"] = self.text
        if self.keyboard:
            data["reply_markup"] = {"inline_keyboard": self.keyboard}
        return data


@dataclass
class Call:
    """One request to the server.

    ``status`` is the HTTP status of the outcome: the fault's for an injected ``Status``, 0 when a
    ``Drop`` closed the connection before the request was carried out. Times are
    ``time.monotonic()``; ``answered_at`` is when the response went out (even to a client that
    gave up waiting), None while a ``Delay`` holds it back or when the connection was dropped.
    """

    method: str
    params: dict[str, Any]
    status: int = 200
    received_at: float = 0.0
    answered_at: float | None = None
    fault: Fault | None = None


@dataclass
class Handout:
    """When getUpdates first returned an update, and how many times it has returned it."""

    first_at: float
    times: int = 1


@dataclass
class RateLimits:
    """Telegram's limits, enforced when set: sends per second overall and per chat, and sends
    per minute in each group (a sliding window, for negative chat ids)."""

    overall_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    retry_after: int = 1
    per_group_per_minute: float = 20.0
    _overall: list[float] = field(default_factory=list)
    _per_chat: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    _per_group: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))

    def admit(self, chat_id: int, now: float) -> bool:
        """Count a send to ``chat_id`` if every limit allows it now."""
        return self.refusal(chat_id, now) is None

    def refusal(self, chat_id: int, now: float) -> int | None:
        """None if a send is admitted (and counted), else the ``retry_after`` Telegram answers."""
        window = [t for t in self._overall if now - t < 1.0]
        chat_window = [t for t in self._per_chat[chat_id] if now - t < 1.0]
        self._overall, self._per_chat[chat_id] = window, chat_window
        if len(window) >= self.overall_per_second or len(chat_window) >= self.per_chat_per_second:
            return self.retry_after
        if chat_id < 0:
            group_window = [t for t in self._per_group[chat_id] if now - t < 60.0]
            self._per_group[chat_id] = group_window
            if len(group_window) >= self.per_group_per_minute:
                return max(self.retry_after, math.ceil(group_window[0] + 60.0 - now))
            group_window.append(now)
        window.append(now)
        chat_window.append(now)
        return None


# -- the server --------------------------------------------------------------------------------


class FakeTelegram:
    """The server. Start it with ``await api.start()``; ``api.base_url`` goes into settings."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.chats: dict[int, list[Message]] = defaultdict(list)
        self.blocked: set[int] = set()
        #: Photos uploaded, by the file_id given back for them (sent again by id, not bytes).
        self.uploads: dict[str, Any] = {}
        #: How many photos were uploaded as bytes (not sent again by file_id).
        self.photo_uploads = 0
        self.groups: dict[int, FakeGroup] = {}
        self.rate_limits: RateLimits | None = None
        self.rejected_429 = 0
        #: Refuse this many upcoming sends with 429 (to test that the bot honours retry_after).
        self.refuse_next_sends = 0
        self.refusal_retry_after = 1
        #: setMyCommands for the default language and scope.
        self.commands: list[dict[str, Any]] = []
        #: setMyCommands by (language_code, scope): ("", "default"), ("de", "all_private_chats"),
        #: ("", "chat:-1001234"), ("", "chat_member:-1001234:1001").
        self.commands_by_language: dict[tuple[str, str], list[dict[str, Any]]] = {}
        #: setWebhook's parameters; empty when no webhook is set.
        self.webhook: dict[str, Any] = {}
        #: Every injected fault that was served, in order.
        self.faults_served: list[tuple[str, Fault]] = []
        #: getUpdates deliveries by update_id, to see an update handed out again after a crash.
        self.handed_out: dict[int, Handout] = {}
        #: The highest offset a getUpdates asked with: every update below it is confirmed.
        self.confirmed_offset = 0
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._standing_faults: dict[str, Fault] = {}
        self._message_hooks: list[Callable[[Message], None]] = []
        self._updates: list[dict[str, Any]] = []
        self._last_update_id = 0
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0
        #: Webhook mode: where updates are really posted (the registered URL is the public
        #: https:// one; in tests the bot listens on plain http on 127.0.0.1), and what the bot
        #: answered to each post, in order.
        self.webhook_target: str | None = None
        self.webhook_answers: list[int] = []
        self._pusher: asyncio.Task[None] | None = None

    # -- server lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._pusher = asyncio.create_task(self._push_to_webhook())

    async def stop(self) -> None:
        self._stopping.set()  # cut injected delays short
        if self._pusher is not None:
            self._pusher.cancel()
            await asyncio.gather(self._pusher, return_exceptions=True)
        async with self._changed:  # release long polls still parked here
            self._closing = True
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _push_to_webhook(self) -> None:
        """As Telegram does with a webhook set: post each update, oldest first, until the bot
        answers 200; an update not answered 200 is posted again a little later."""
        import aiohttp

        async with aiohttp.ClientSession() as session:
            while True:
                async with self._changed:
                    await self._changed.wait_for(lambda: bool(self._updates and self.webhook and self.webhook_target))
                    update = self._updates[0]
                    target = self.webhook_target
                    secret = self.webhook.get("secret_token")
                assert target is not None
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                try:
                    async with session.post(target, json=update, headers=headers) as response:
                        status = response.status
                except aiohttp.ClientError:
                    status = 0
                self.webhook_answers.append(status)
                if status == 200:
                    async with self._changed:
                        if self._updates and self._updates[0] is update:
                            self._updates.pop(0)
                        self._changed.notify_all()
                else:
                    await asyncio.sleep(0.05)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- faults ----------------------------------------------------------------------------------

    def inject(self, method: str, *faults: Fault) -> None:
        """Serve these faults to the next requests for ``method``, one each, in order."""
        self._faults[method].extend(faults)

    def inject_always(self, method: str, fault: Fault) -> None:
        """Serve ``fault`` to every request for ``method`` once the injected ones are used up."""
        self._standing_faults[method] = fault

    def clear_faults(self, method: str | None = None) -> None:
        """Forget the faults not served yet, for ``method`` or for every method."""
        for faults in (self._faults, self._standing_faults):
            if method is None:
                faults.clear()
            else:
                faults.pop(method, None)

    def _take_fault(self, method: str) -> Fault | None:
        queued = self._faults.get(method)
        fault = queued.popleft() if queued else self._standing_faults.get(method)
        if fault is not None:
            self.faults_served.append((method, fault))
        return fault

    # -- what people do --------------------------------------------------------------------------

    def user(self, user_id: int = 1001, first_name: str = "Alex", language_code: str | None = "en") -> FakeUser:
        return FakeUser(self, user_id, first_name, language_code)

    def group(self, chat_id: int = -1001234, title: str = "Office") -> FakeGroup:
        """The group with this id (a supergroup for ids starting -100), made on first use."""
        if chat_id not in self.groups:
            self.groups[chat_id] = FakeGroup(self, chat_id, title)
        return self.groups[chat_id]

    async def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates under the next update_id."""
        update["update_id"] = self._last_update_id + 1
        await self.push_raw_update(update)

    async def push_raw_update(self, payload: dict[str, Any]) -> None:
        """Queue ``payload`` as it is, malformed or not; it gets the next update_id unless it has one."""
        payload.setdefault("update_id", self._last_update_id + 1)
        self._last_update_id = max(self._last_update_id, int(payload["update_id"]))
        async with self._changed:
            self._updates.append(payload)
            self._changed.notify_all()

    async def push_kicked_without_until_date(self, user: FakeUser) -> None:
        """``user`` blocks the bot, reported by a ``my_chat_member`` update whose ``kicked``
        member lacks ``until_date`` (python-telegram-bot 22.8 cannot parse it)."""
        self.blocked.add(user.id)
        update = _my_chat_member(user.chat_json, user.json, "member", "kicked")
        del update["my_chat_member"]["new_chat_member"]["until_date"]
        await self.push_raw_update(update)

    def new_message_id(self, chat_id: int) -> int:
        return next(self._message_ids[chat_id])

    def on_message(self, callback: Callable[[Message], None]) -> None:
        """Call ``callback(message)`` synchronously with each new message the bot sends."""
        self._message_hooks.append(callback)

    async def wait_until(self, condition: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
        """Wait until ``condition()`` is truthy; a safety net, never a timing assertion."""
        async def check() -> Any:
            async with self._changed:
                while not (result := condition()):
                    await self._changed.wait()
                return result

        try:
            return await asyncio.wait_for(check(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what or condition}") from None

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def find(self, chat_id: int, message_id: int) -> Message | None:
        for message in self.chats[chat_id]:
            if message.message_id == message_id:
                return message
        return None

    # -- the Bot API -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        received_at = time.monotonic()
        if request.match_info["token"] != self.token:
            return _error(404, "Not Found")
        call = Call(request.match_info["method"], await _read_params(request), received_at=received_at)
        call.fault = fault = self._take_fault(call.method)
        if isinstance(fault, Status):
            call.status = fault.code
            await self._record(call, answered=True)
            return fault.response()
        if isinstance(fault, Drop):
            call.status = 0
            await self._record(call, answered=False)
            return _hang_up(request)

        handler = getattr(self, f"_api_{call.method}", None)
        if handler is None:
            call.status, response = 400, _error(400, f"Bad Request: method {call.method} is not faked")
        else:
            call.status, result = await handler(call.params)
            response = result if call.status != 200 else web.json_response({"ok": True, "result": result})
        await self._record(call, answered=fault is None)
        if isinstance(fault, DropAfter):
            return _hang_up(request)
        if isinstance(fault, Delay):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), fault.seconds)
            async with self._changed:
                call.answered_at = time.monotonic()
                self._changed.notify_all()
        return response

    async def _record(self, call: Call, answered: bool) -> None:
        async with self._changed:
            if answered:
                call.answered_at = time.monotonic()
            self.calls.append(call)
            self._changed.notify_all()

    async def _api_getMe(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, BOT_USER | {
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False
        }

    async def _api_setWebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        async with self._changed:
            self.webhook = dict(params) if params.get("url") else {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
            self._changed.notify_all()
        return 200, True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return 200, True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> tuple[int, Any]:
        info = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if "allowed_updates" in self.webhook:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return 200, info

    async def _api_setMyCommands(self, params: dict[str, Any]) -> tuple[int, Any]:
        key = (str(params.get("language_code") or ""), _scope_key(params.get("scope")))
        self.commands_by_language[key] = list(params.get("commands") or [])
        if key == ("", "default"):
            self.commands = self.commands_by_language[key]
        return 200, True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> tuple[int, Any]:
        key = (str(params.get("language_code") or ""), _scope_key(params.get("scope")))
        return 200, self.commands_by_language.get(key, [])

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> tuple[int, Any]:
        key = (str(params.get("language_code") or ""), _scope_key(params.get("scope")))
        self.commands_by_language.pop(key, None)
        if key == ("", "default"):
            self.commands = []
        return 200, True

    async def _api_getUpdates(self, params: dict[str, Any]) -> tuple[int, Any]:
        if self.webhook:
            return 409, _error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            # An offset confirms every update before it, as on Telegram; a negative one keeps
            # only that many of the latest updates.
            if offset > 0:
                self.confirmed_offset = max(self.confirmed_offset, offset)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            while not self._updates and not self._closing:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    break
            batch = self._updates[:limit]
            now = time.monotonic()
            for update in batch:
                if (handout := self.handed_out.get(update["update_id"])) is None:
                    self.handed_out[update["update_id"]] = Handout(first_at=now)
                else:
                    handout.times += 1
            return 200, batch

    async def _api_sendMessage(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._deliver(params, "text", params.get("text", ""))

    async def _api_sendPhoto(self, params: dict[str, Any]) -> tuple[int, Any]:
        photo = params.get("photo")
        if isinstance(photo, str):  # the file_id of a photo uploaded before
            if photo not in self.uploads:
                return 400, _error(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return self._deliver(params, "photo", params.get("caption", ""), self.uploads[photo], file_id=photo)
        status, answer = self._deliver(params, "photo", params.get("caption", ""), photo)
        if status == 200:
            self.photo_uploads += 1
            self.uploads[answer["photo"][-1]["file_id"]] = photo
        return status, answer

    async def _api_sendDocument(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._deliver(params, "document", params.get("caption", ""), params.get("document"))

    async def _api_sendChatAction(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, True

    async def _api_editMessageText(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._edit(params, new_html=params.get("text", ""), kind="text")

    async def _api_editMessageCaption(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._edit(params, new_html=params.get("caption", ""), kind="media")

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._edit(params, new_html=None)

    def _forbidden(self, chat_id: int) -> web.Response | None:
        """Telegram's 403 when the bot may not write to this chat, else None."""
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        group = self.groups.get(chat_id)
        if group is not None and not group.has_bot:
            return _error(403, f"Forbidden: bot is not a member of the {_chat_type(chat_id)} chat")
        return None

    def _deliver(
        self, params: dict[str, Any], kind: str, text: str, upload: Any = None, file_id: str | None = None
    ) -> tuple[int, Any]:
        chat_id = int(params["chat_id"])
        if (forbidden := self._forbidden(chat_id)) is not None:
            return 403, forbidden
        if self.refuse_next_sends > 0:
            self.refuse_next_sends -= 1
            self.rejected_429 += 1
            retry = self.refusal_retry_after
            return 429, _error(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        wait = None if self.rate_limits is None else self.rate_limits.refusal(chat_id, time.monotonic())
        if wait is not None:
            self.rejected_429 += 1
            return 429, _error(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        group = self.groups.get(chat_id)
        message = Message(
            chat_id=chat_id,
            message_id=self.new_message_id(chat_id),
            html=text,
            keyboard=_keyboard(params.get("reply_markup")),
            kind=kind,
            file=upload[1] if isinstance(upload, tuple) else None,
            file_name=upload[0] if isinstance(upload, tuple) else None,
            chat_title=group.title if group is not None else None,
        )
        message.file_id = file_id or f"{kind}-{chat_id}-{message.message_id}"
        self.chats[chat_id].append(message)
        for hook in self._message_hooks:
            hook(message)
        return 200, message.to_json()

    def _edit(self, params: dict[str, Any], new_html: str | None, kind: str | None = None) -> tuple[int, Any]:
        chat_id = int(params["chat_id"])
        if (forbidden := self._forbidden(chat_id)) is not None:
            return 403, forbidden
        message = self.find(chat_id, int(params["message_id"]))
        if message is None:
            return 400, _error(400, "Bad Request: message to edit not found")
        if kind == "text" and message.kind != "text":
            return 400, _error(400, "Bad Request: there is no text in the message to edit")
        if kind == "media" and message.kind == "text":
            return 400, _error(400, "Bad Request: there is no caption in the message to edit")
        keyboard = _keyboard(params.get("reply_markup"))
        html_after = message.html if new_html is None else new_html
        if html_after == message.html and keyboard == message.keyboard:
            return 400, _error(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.html, message.keyboard = html_after, keyboard
        message.edits += 1
        return 200, message.to_json()


# -- the people ----------------------------------------------------------------------------------


class _ChatView:
    """One chat as a person sees it: the bot's messages, read in order by ``next_message()``."""

    def __init__(self, api: FakeTelegram, chat_id: int) -> None:
        self.api = api
        self.id = chat_id
        self._seen = 0  # how many bot messages next_message() has handed out

    @property
    def messages(self) -> list[Message]:
        """The bot's messages in this chat, oldest first, as they look now."""
        return [m for m in self.api.chats[self.id] if m.from_bot]

    async def next_message(self, contains: str | None = None) -> Message:
        """The next bot message this test has not looked at yet (waits for it)."""
        def arrived() -> Message | None:
            messages = self.messages
            for index in range(self._seen, len(messages)):
                if contains is None or contains.lower() in messages[index].text.lower():
                    self._seen = index + 1
                    return messages[index]
            return None

        what = f"a message{f' containing {contains!r}' if contains else ''}"
        message: Message = await self.api.wait_until(arrived, what=what)
        return message

    def unseen(self) -> list[Message]:
        return self.messages[self._seen :]


class FakeUser(_ChatView):
    """One person in a private chat with the bot (who may also post in groups)."""

    def __init__(self, api: FakeTelegram, user_id: int, first_name: str, language_code: str | None = "en") -> None:
        super().__init__(api, user_id)
        self.first_name = first_name
        #: The language of the user's Telegram app, as Telegram reports it (None: not given).
        self.language_code = language_code
        #: The messages this user sent, as the bot last saw them (for ``edit``).
        self.sent: list[dict[str, Any]] = []

    @property
    def json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code is not None:
            found["language_code"] = self.language_code
        return found

    @property
    def chat_json(self) -> dict[str, Any]:
        """The private chat with the bot, as Telegram describes it."""
        return {"id": self.id, "type": "private", "first_name": self.first_name}

    async def send(self, text: str, reply_to: Message | None = None, chat: FakeGroup | None = None) -> int:
        """Type a message, in the private chat or in ``chat``; returns its message_id.

        ``reply_to`` makes it a Telegram reply to one of the bot's messages.
        """
        chat_json = self.chat_json if chat is None else chat.json
        message_id = self.api.new_message_id(chat_json["id"])
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self.json,
            "chat": chat_json,
            "date": int(time.time()),
        }
        _set_text(message, text)
        if reply_to is not None:
            message["reply_to_message"] = reply_to.to_json()
        self.sent.append(copy.deepcopy(message))
        await self.api.push_update({"message": message})
        return message_id

    async def edit(self, original: str | int, new_text: str, chat: FakeGroup | None = None) -> None:
        """Edit a message this user sent in the private chat (or in ``chat``), found by its
        message_id or by its text (the latest match); the bot gets an ``edited_message``."""
        chat_id = self.id if chat is None else chat.id
        for message in reversed(self.sent):
            if message["chat"]["id"] == chat_id and original in (message["message_id"], message.get("text")):
                break
        else:
            raise AssertionError(f"{self.first_name} sent no message {original!r} in chat {chat_id}")
        _set_text(message, new_text)
        message["edit_date"] = int(time.time())
        await self.api.push_update({"edited_message": copy.deepcopy(message)})

    async def block_bot(self) -> None:
        """Block the bot, as Telegram reports it: further sends get 403, and the bot is told."""
        self.api.blocked.add(self.id)
        await self.api.push_update(_my_chat_member(self.chat_json, self.json, "member", "kicked"))

    async def unblock_bot(self) -> None:
        self.api.blocked.discard(self.id)
        await self.api.push_update(_my_chat_member(self.chat_json, self.json, "kicked", "member"))

    async def share_location(self, latitude: float, longitude: float) -> None:
        await self.api.push_update(
            {
                "message": {
                    "message_id": self.api.new_message_id(self.id),
                    "from": self.json,
                    "chat": self.chat_json,
                    "date": int(time.time()),
                    "location": {"latitude": latitude, "longitude": longitude},
                }
            }
        )

    async def send_update(self, **payload: Any) -> None:
        """Send any other update shape (a sticker, a location, a membership change)."""
        await self.api.push_update(payload)

    async def press(self, message: Message, label: str) -> str:
        """Tap the button whose text contains ``label``; returns the callback query id."""
        return await self.press_data(message, message.callback_data(label))

    async def press_data(self, message: Message, data: str) -> str:
        """Send a callback query with any data, as a modified client could."""
        query_id = str(next(self.api._callback_ids))
        await self.api.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.json,
                    "message": message.to_json(),
                    "chat_instance": f"ci{message.chat_id}",
                    "data": data,
                }
            }
        )
        return query_id

    async def toast(self, query_id: str) -> str:
        """Wait for the bot to answer a button press; returns the toast text ('' for none)."""
        def answered() -> Call | None:
            for call in self.api.calls_to("answerCallbackQuery"):
                if str(call.params.get("callback_query_id")) == query_id:
                    return call
            return None

        call = await self.api.wait_until(answered, what=f"an answer to button press {query_id}")
        return str(call.params.get("text") or "")


class FakeGroup(_ChatView):
    """A group chat with the bot in it (people post with ``user.send(text, chat=group)``).

    The bot counts as a member from the start; after ``remove_bot`` Telegram refuses its sends
    with 403 until ``add_bot``.
    """

    def __init__(self, api: FakeTelegram, chat_id: int, title: str) -> None:
        if chat_id >= 0:
            raise ValueError(f"group chat ids are negative, not {chat_id}")
        super().__init__(api, chat_id)
        self.title = title
        self.has_bot = True

    @property
    def json(self) -> dict[str, Any]:
        return _chat_json(self.id, self.title)

    async def add_bot(self, by: FakeUser) -> None:
        """``by`` adds the bot to the group."""
        self.has_bot = True
        await self.api.push_update(_my_chat_member(self.json, by.json, "left", "member"))

    async def remove_bot(self, by: FakeUser) -> None:
        """``by`` removes the bot from the group."""
        self.has_bot = False
        await self.api.push_update(_my_chat_member(self.json, by.json, "member", "left"))


# -- helpers -------------------------------------------------------------------------------------


def _chat_type(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def _chat_json(chat_id: int, title: str | None = None) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": _chat_type(chat_id)}
    if chat["type"] != "private":
        chat["title"] = title or f"Group {chat_id}"
    return chat


def _set_text(message: dict[str, Any], text: str) -> None:
    """Give a user's message this text, with a bot_command entity (``/cmd`` or ``/cmd@bot``)."""
    message["text"] = text
    message.pop("entities", None)
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]


def _my_chat_member(chat: dict[str, Any], by: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The update telling the bot its status in ``chat`` changed from ``old`` to ``new``."""
    def member(status: str) -> dict[str, Any]:
        return {"status": status, "user": BOT_USER, **({"until_date": 0} if status == "kicked" else {})}

    return {
        "my_chat_member": {
            "chat": chat,
            "from": by,
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
    }


def _scope_key(scope: Any) -> str:
    """A BotCommandScope as ``default``, ``all_private_chats``, ``chat:<id>``, ``chat_member:<id>:<user>``."""
    if isinstance(scope, str):
        scope = json.loads(scope)
    if not scope:
        return "default"
    return ":".join([scope["type"], *(str(scope[key]) for key in ("chat_id", "user_id") if key in scope)])


def _hang_up(request: web.Request) -> web.Response:
    """Close the connection without answering.

    The returned response is never written: aiohttp finds the transport closing, treats it as a
    client that went away and drops the connection quietly, so the client reads end of stream
    where a status line should be.
    """
    if request.transport is not None:
        request.transport.close()
    return web.Response()


async def _read_params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):  # an uploaded file part
            params[key] = (value.filename, value.file.read())
        elif key in _STRING_PARAMS:
            params[key] = value
        else:
            try:
                params[key] = json.loads(value)
            except (TypeError, ValueError):
                params[key] = value
    # Uploads are referenced as attach://name from the media field.
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"))
    return params


def _keyboard(markup: Any) -> list[list[dict[str, Any]]] | None:
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not markup or not markup.get("inline_keyboard"):
        return None
    return markup["inline_keyboard"]


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
