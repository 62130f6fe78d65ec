"""The Telegram side of :class:`bot.messenger.Messenger`.

Telegram's errors stop here: a user who blocked the bot, a message that is gone, or an edit that
changes nothing are normal events in a chat's life and are logged, not raised.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.menus import Keyboard

log = logging.getLogger(__name__)


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in keyboard]
    )


class TelegramMessenger:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, chat_id: int, text: str, keyboard: Keyboard | None = None) -> int | None:
        try:
            message = await self._bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(keyboard),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except Forbidden:
            log.info("Chat %s has blocked the bot; message not delivered", chat_id)
            return None
        except TelegramError as exc:
            log.warning("Sending to chat %s failed: %s", chat_id, exc)
            return None
        return message.message_id

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
            log.info("Chat %s has blocked the bot; edit not applied", chat_id)
        except TelegramError as exc:
            log.warning("Editing in chat %s failed: %s", chat_id, exc)
