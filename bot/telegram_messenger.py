"""The Telegram side of :class:`bot.messenger.Messenger`.

Telegram's errors stop here: a user who blocked the bot, a message that is gone, or an edit that
changes nothing are normal events in a chat's life and are logged, not raised.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.menus import Keyboard
from bot.messenger import Outcome

log = logging.getLogger(__name__)


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in keyboard]
    )


class TelegramMessenger:
    """Sends through the application's bot (and so through its rate limiter, which already
    retries a 429 a few times). ``on_blocked`` hears of every chat that turns out to have
    blocked the bot, whichever service was talking to it."""

    def __init__(self, bot: Bot, on_blocked: Callable[[int], Awaitable[None]] | None = None) -> None:
        self._bot = bot
        self._on_blocked = on_blocked

    async def send(self, chat_id: int, text: str, keyboard: Keyboard | None = None) -> int | None:
        return (await self.deliver(chat_id, text, keyboard)).message_id

    async def deliver(self, chat_id: int, text: str, keyboard: Keyboard | None = None) -> Outcome:
        try:
            message = await self._bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(keyboard),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except Forbidden:
            await self._blocked(chat_id)
            return Outcome(blocked=True)
        except RetryAfter as exc:
            log.warning("Telegram asks to slow down (chat %s); retry in %s s", chat_id, retry_seconds(exc))
            return Outcome(retry_after=retry_seconds(exc))
        except TelegramError as exc:
            log.warning("Sending to chat %s failed: %s", chat_id, exc)
            return Outcome()
        return Outcome(message_id=message.message_id)

    async def _blocked(self, chat_id: int) -> None:
        log.info("Chat %s has blocked the bot; no more messages to it", chat_id)
        if self._on_blocked is not None:
            await self._on_blocked(chat_id)

    async def edit(self, chat_id: int, message_id: int, text: str, keyboard: Keyboard | None) -> None:
        await self._quietly(
            self._bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(keyboard),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
            chat_id,
        )

    async def clear_buttons(self, chat_id: int, message_id: int) -> None:
        await self._quietly(
            self._bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None),
            chat_id,
        )

    async def _quietly(self, request: Awaitable[object], chat_id: int) -> None:
        try:
            await request
        except BadRequest as exc:
            # "Message is not modified", "message to edit not found", "can't be edited": the
            # message already looks right or is gone; nothing to repair.
            log.debug("Edit in chat %s not applied: %s", chat_id, exc)
        except Forbidden:
            await self._blocked(chat_id)
        except TelegramError as exc:
            log.warning("Editing in chat %s failed: %s", chat_id, exc)


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whether this PTB version gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that the int form is going away
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
