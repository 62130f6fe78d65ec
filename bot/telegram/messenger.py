"""The Telegram side of :class:`bot.services.messenger.Messenger`: every send and edit becomes one Bot API
request queued on the :class:`~bot.telegram.dispatcher.Dispatcher`.

Handlers use the same object for what only they send (photos, documents, reply keyboards), so
there is exactly one way out of the bot. Callback-query answers are the exception: they go
straight to Telegram, which does not count them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram._utils.types import ReplyMarkup
from telegram.constants import ParseMode
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.presentation.keyboards import Keyboard
from bot.services.messenger import BeforeAttempt, Picture, Ticket, Traffic
from bot.telegram.dispatcher import Dispatcher, Priority
from bot.telegram.transport import MaybeSent

#: How long each kind of message stays worth sending, in seconds.
DEFAULT_TTL = {
    # Longer than a group's 20-a-minute window, so a busy group's answers come late, not never.
    Traffic.REPLY: 120.0,
    Traffic.CARD: 30.0,
    Traffic.REMINDER: 30 * 60.0,
    Traffic.TIDY: 10.0,
    Traffic.LIVE: 5.0,
}
#: A connection dropped after sending leaves a doubt: for a reminder a duplicate is the worse
#: failure (never resent); an answer or a pose card is resent (a rare duplicate beats a gap).
#: Edits are harmless to repeat.
RESEND_IF_DROPPED = {
    Traffic.REPLY: True, Traffic.CARD: True, Traffic.REMINDER: False, Traffic.TIDY: True, Traffic.LIVE: True,
}
PRIORITY = {
    Traffic.REPLY: Priority.URGENT,
    Traffic.CARD: Priority.URGENT,
    Traffic.REMINDER: Priority.SCHEDULED,
    Traffic.TIDY: Priority.COSMETIC,
    Traffic.LIVE: Priority.COSMETIC,
}
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Picture file ids remembered at most (then forgotten all at once and uploaded again).
MAX_FILE_IDS = 1000


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in keyboard]
    )


class TelegramMessenger:
    def __init__(self, bot: Bot, dispatcher: Dispatcher, request: BaseRequest) -> None:
        """``request`` is the bot's own request object (the one ``bot`` sends through)."""
        self._bot = bot
        self._dispatcher = dispatcher
        self._request = request
        #: Telegram's file_id of every picture uploaded so far, by the picture's key.
        self._file_ids: dict[str, str] = {}

    @property
    def bot(self) -> Bot:
        return self._bot

    def post(
        self,
        chat_id: int,
        text: str,
        keyboard: Keyboard | None = None,
        *,
        traffic: Traffic = Traffic.REPLY,
        ttl: float | None = None,
        before_attempt: BeforeAttempt | None = None,
        picture: Picture | None = None,
    ) -> Ticket:
        if picture is not None:
            return self.request(
                chat_id,
                lambda: self._send_picture(chat_id, picture, text, markup(keyboard)),
                traffic=traffic,
                ttl=ttl,
                before_attempt=before_attempt,
            )
        return self.post_markup(
            chat_id, text, markup(keyboard), traffic=traffic, ttl=ttl, before_attempt=before_attempt
        )

    async def _send_picture(
        self, chat_id: int, picture: Picture, caption: str, reply_markup: InlineKeyboardMarkup | None
    ) -> int:
        """sendPhoto: the first time a picture goes out it is drawn (off the event loop) and
        uploaded; after that Telegram's file_id for it is sent instead of the bytes."""
        file_id = self._file_ids.get(picture.key)
        photo: str | bytes = file_id if file_id is not None else await asyncio.to_thread(picture.render)
        message = await self._bot.send_photo(
            chat_id,
            photo=photo,
            caption=caption,
            parse_mode=ParseMode.HTML,
            reply_markup=reply_markup,
            **self._paid(),
        )
        if file_id is None and message.photo:
            if len(self._file_ids) >= MAX_FILE_IDS:
                self._file_ids.clear()
            self._file_ids[picture.key] = message.photo[-1].file_id
        return message.message_id

    def post_markup(
        self,
        chat_id: int,
        text: str,
        reply_markup: ReplyMarkup | None,
        *,
        traffic: Traffic = Traffic.REPLY,
        ttl: float | None = None,
        before_attempt: BeforeAttempt | None = None,
    ) -> Ticket:
        """A text message with any kind of keyboard (e.g. the "share location" button)."""
        return self.request(
            chat_id,
            lambda: self._send_text(chat_id, text, reply_markup),
            traffic=traffic,
            ttl=ttl,
            before_attempt=before_attempt,
        )

    async def _send_text(self, chat_id: int, text: str, reply_markup: ReplyMarkup | None) -> int:
        """sendMessage, reading only the message id from the answer.

        The bot's most frequent request, so it skips what ``Bot.send_message`` adds around the
        same HTTP call: argument defaults and, above all, building a full ``Message`` object
        from Telegram's answer just to read its id (about a fifth of the CPU an update cost).
        Errors are the same: the request's own wrapper maps HTTP statuses to exceptions.
        """
        params: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": ParseMode.HTML,
            "link_preview_options": _NO_PREVIEW,
        }
        if reply_markup is not None:
            params["reply_markup"] = reply_markup
        params.update(self._paid())
        data = RequestData([RequestParameter.from_input(key, value) for key, value in params.items()])
        result = await self._request.post(f"{self._bot.base_url}/sendMessage", data)
        if not isinstance(result, dict):
            raise MaybeSent("Telegram answered sendMessage without a message")
        return int(result["message_id"])

    def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        keyboard: Keyboard | None,
        *,
        traffic: Traffic = Traffic.REPLY,
        caption: bool = False,
    ) -> Ticket:
        if caption:
            return self.request(
                chat_id,
                lambda: self._bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=message_id,
                    caption=text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup(keyboard),
                ),
                traffic=traffic,
                is_edit=True,
            )
        return self.request(
            chat_id,
            lambda: self._bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(keyboard),
                link_preview_options=_NO_PREVIEW,
            ),
            traffic=traffic,
            is_edit=True,
        )

    def clear_buttons(self, chat_id: int, message_id: int) -> Ticket:
        return self.request(
            chat_id,
            lambda: self._bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None),
            traffic=Traffic.TIDY,
            is_edit=True,
        )

    def request(
        self,
        chat_id: int,
        call: Callable[[], Awaitable[Any]],
        *,
        traffic: Traffic = Traffic.REPLY,
        ttl: float | None = None,
        before_attempt: BeforeAttempt | None = None,
        is_edit: bool = False,
    ) -> Ticket:
        """Queue any one Bot API request addressed to ``chat_id`` (a photo, a document...)."""
        return self._dispatcher.submit(
            chat_id,
            call,
            priority=PRIORITY[traffic],
            ttl=DEFAULT_TTL[traffic] if ttl is None else ttl,
            before_attempt=before_attempt,
            counts_in_chat=not is_edit,
            resend_if_dropped=is_edit or RESEND_IF_DROPPED[traffic],
        )

    def _paid(self) -> dict[str, Any]:
        return {"allow_paid_broadcast": True} if self._dispatcher.paid_broadcast else {}
