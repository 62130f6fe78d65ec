"""A fake Telegram Bot API server on 127.0.0.1, and a user who chats with the bot through it.

The bot under test talks to this server exactly as it talks to api.telegram.org: HTTP requests
to ``/bot<token>/<method>``, long-polled ``getUpdates``. Tests act as a person would:

    user = api.user()
    await user.send("/stretch")
    pose = await user.next_message()
    await user.press(pose, "Pause")

The server keeps every chat's messages with their current text and buttons, so a test sees what
a user would see, including buttons that were taken away. It answers the way Telegram does:
400 "message is not modified" for an edit that changes nothing, 403 for a user who blocked the
bot, 404 for a wrong token, and 429 with ``retry_after`` when rate limits are switched on.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Limber", "username": "limber_test_bot"}

# Parameters that Telegram takes as plain strings; every other form field is JSON.
_STRING_PARAMS = {"text", "caption", "callback_query_id", "parse_mode", "emoji", "filename"}


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
            "chat": {"id": self.chat_id, "type": "private"},
            "date": int(time.time()),
        }
        if self.kind == "text":
            data["text"] = self.text
        elif self.kind == "photo":
            data["photo"] = [{"file_id": f"photo{self.message_id}", "file_unique_id": f"p{self.message_id}", "width": 800, "height": 500}]
        elif self.kind == "document":
            data["document"] = {"file_id": f"doc{self.message_id}", "file_unique_id": f"d{self.message_id}", "file_name": self.file_name}
        if self.kind != "text" and self.html:
            data["caption"] = self.text
        if self.keyboard:
            data["reply_markup"] = {"inline_keyboard": self.keyboard}
        return data


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200


@dataclass
class RateLimits:
    """Telegram's limits, enforced when set: sends per second overall and per chat."""

    overall_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    retry_after: int = 1
    _overall: list[float] = field(default_factory=list)
    _per_chat: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))

    def admit(self, chat_id: int, now: float) -> bool:
        window = [t for t in self._overall if now - t < 1.0]
        chat_window = [t for t in self._per_chat[chat_id] if now - t < 1.0]
        self._overall, self._per_chat[chat_id] = window, chat_window
        if len(window) >= self.overall_per_second or len(chat_window) >= self.per_chat_per_second:
            return False
        window.append(now)
        chat_window.append(now)
        return True


class FakeTelegram:
    """The server. Start it with ``await api.start()``; ``api.base_url`` goes into settings."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.chats: dict[int, list[Message]] = defaultdict(list)
        self.blocked: set[int] = set()
        self.rate_limits: RateLimits | None = None
        self.rejected_429 = 0
        #: Refuse this many upcoming sends with 429 (to test that the bot honours retry_after).
        self.refuse_next_sends = 0
        self.refusal_retry_after = 1
        self.commands: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

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

    async def stop(self) -> None:
        async with self._changed:  # release long polls still parked here
            self._closing = True
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what the user does ----------------------------------------------------------------------

    def user(self, user_id: int = 1001, first_name: str = "Alex") -> FakeUser:
        return FakeUser(self, user_id, first_name)

    async def push_update(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def new_message_id(self, chat_id: int) -> int:
        return next(self._message_ids[chat_id])

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

    # -- the Bot API -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(404, "Not Found")
        method = request.match_info["method"]
        params = await _read_params(request)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            self.calls.append(Call(method, params, 400))
            return _error(400, f"Bad Request: method {method} is not faked")
        status, result = await handler(params)
        async with self._changed:
            self.calls.append(Call(method, params, status))
            self._changed.notify_all()
        if status != 200:
            return result
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, BOT_USER | {"can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> tuple[int, Any]:
        self.commands = params.get("commands", [])
        return 200, True

    async def _api_getUpdates(self, params: dict[str, Any]) -> tuple[int, Any]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._changed:
            # An offset confirms every update before it, as on Telegram.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closing:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    break
            return 200, self._updates[:limit]

    async def _api_sendMessage(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._deliver(params, "text", params.get("text", ""))

    async def _api_sendPhoto(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._deliver(params, "photo", params.get("caption", ""), params.get("photo"))

    async def _api_sendDocument(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._deliver(params, "document", params.get("caption", ""), params.get("document"))

    async def _api_sendChatAction(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, True

    async def _api_editMessageText(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._edit(params, new_html=params.get("text", ""))

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._edit(params, new_html=None)

    def _deliver(self, params: dict[str, Any], kind: str, text: str, upload: Any = None) -> tuple[int, Any]:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        if self.refuse_next_sends > 0:
            self.refuse_next_sends -= 1
            self.rejected_429 += 1
            retry = self.refusal_retry_after
            return 429, _error(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        if self.rate_limits is not None and not self.rate_limits.admit(chat_id, time.monotonic()):
            self.rejected_429 += 1
            retry = self.rate_limits.retry_after
            return 429, _error(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        message = Message(
            chat_id=chat_id,
            message_id=self.new_message_id(chat_id),
            html=text,
            keyboard=_keyboard(params.get("reply_markup")),
            kind=kind,
            file=upload[1] if isinstance(upload, tuple) else None,
            file_name=upload[0] if isinstance(upload, tuple) else None,
        )
        self.chats[chat_id].append(message)
        return 200, message.to_json()

    def _edit(self, params: dict[str, Any], new_html: str | None) -> tuple[int, Any]:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        message = self.find(chat_id, int(params["message_id"]))
        if message is None:
            return 400, _error(400, "Bad Request: message to edit not found")
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

    def find(self, chat_id: int, message_id: int) -> Message | None:
        for message in self.chats[chat_id]:
            if message.message_id == message_id:
                return message
        return None


class FakeUser:
    """One person in a private chat with the bot."""

    def __init__(self, api: FakeTelegram, user_id: int, first_name: str) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self._seen = 0  # how many bot messages next_message() has handed out

    @property
    def json(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name, "language_code": "en"}

    @property
    def messages(self) -> list[Message]:
        """The bot's messages in this chat, oldest first, as they look now."""
        return [m for m in self.api.chats[self.id] if m.from_bot]

    async def send(self, text: str, reply_to: Message | None = None) -> None:
        """Type a message; ``reply_to`` makes it a Telegram reply to one of the bot's messages."""
        message: dict[str, Any] = {
            "message_id": self.api.new_message_id(self.id),
            "from": self.json,
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
            "date": int(time.time()),
            "text": text,
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to.to_json()
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        await self.api.push_update({"message": message})

    async def block_bot(self) -> None:
        """Block the bot, as Telegram reports it: further sends get 403, and the bot is told."""
        self.api.blocked.add(self.id)
        await self._membership("member", "kicked")

    async def unblock_bot(self) -> None:
        self.api.blocked.discard(self.id)
        await self._membership("kicked", "member")

    async def _membership(self, old: str, new: str) -> None:
        bot = {"user": BOT_USER}
        await self.api.push_update(
            {
                "my_chat_member": {
                    "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
                    "from": self.json,
                    "date": int(time.time()),
                    "old_chat_member": {"status": old, **bot, **({"until_date": 0} if old == "kicked" else {})},
                    "new_chat_member": {"status": new, **bot, **({"until_date": 0} if new == "kicked" else {})},
                }
            }
        )

    async def share_location(self, latitude: float, longitude: float) -> None:
        await self.api.push_update(
            {
                "message": {
                    "message_id": self.api.new_message_id(self.id),
                    "from": self.json,
                    "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
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
                    "chat_instance": f"ci{self.id}",
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

    async def next_message(self, contains: str | None = None) -> Message:
        """The next bot message this test has not looked at yet (waits for it)."""
        def arrived() -> Message | None:
            messages = self.messages
            for index in range(self._seen, len(messages)):
                if contains is None or contains.lower() in messages[index].text.lower():
                    self._seen = index + 1
                    return messages[index]
                if contains is not None:
                    continue
            return None

        return await self.api.wait_until(arrived, what=f"a message{f' containing {contains!r}' if contains else ''}")

    def unseen(self) -> list[Message]:
        return self.messages[self._seen :]


async def _read_params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if hasattr(value, "file"):  # an uploaded file part
            params[key] = (value.filename, value.file.read())
        elif key in _STRING_PARAMS:
            params[key] = value
        else:
            try:
                params[key] = json.loads(value)  # type: ignore[arg-type]
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
