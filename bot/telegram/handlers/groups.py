"""Group chats: the bot speaks only when spoken to, and keeps everything personal private.

A user's reminders, routines and measurements live in their private chat. In a group the bot
answers only commands addressed to it (``/cmd`` or ``/cmd@ThisBot``); chatter and other bots'
commands get nothing. Personal commands answer with a pointer to the private chat (a deep link)
and change nothing. Being added to or removed from a group is recorded for that group alone.
Stretching together in a group is a feature for later; the ``chats`` table is where it starts.

Everything here runs before the other handlers and stops the update from reaching them.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.presentation import texts
from bot.telegram.handlers.common import services, telegram_words

#: Commands a group may use; every other command of ours is personal.
GROUP_COMMANDS = frozenset({"start", "help"})
OUR_COMMANDS = GROUP_COMMANDS | {name for name, _ in texts.COMMANDS} | set(texts.COMMAND_ALIASES)


async def in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    found = services(context)
    if update.my_chat_member is not None:
        change = update.my_chat_member
        await found.reminders.group_changed(chat.id, chat.type, chat.title or "", change.new_chat_member.status)
    elif update.callback_query is not None:
        await update.callback_query.answer(texts.toast_use_private_chat(telegram_words(update, context)))
    elif update.message is not None:
        command = _command_for_us(update, context.bot.username)
        if command is not None:
            link = f"https://t.me/{context.bot.username}?start=group"
            _ = telegram_words(update, context)
            button = InlineKeyboardMarkup([[InlineKeyboardButton(texts.button_open_private_chat(_), url=link)]])
            text = texts.group_intro(_) if command in GROUP_COMMANDS else texts.group_pointer(command, _)
            await found.messenger.post_markup(chat.id, text, button)
    raise ApplicationHandlerStop


def _command_for_us(update: Update, username: str) -> str | None:
    """The command name if the message starts with a command meant for this bot: ``/cmd`` or
    ``/cmd@ThisBot`` (any case). ``/cmd@OtherBot``, plain text, and a bare ``/cmd`` that is not
    one of ours give None."""
    message = update.message
    if message is None or not message.text or not message.entities:
        return None
    first = message.entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return None
    name, _, target = message.text[1 : first.length].partition("@")
    if target and target.lower() != username.lower():
        return None
    name = name.lower()
    # A bare command we do not have is probably another bot's; one addressed to us by name is
    # answered (with the pointer to the private chat).
    if not name or (name not in OUR_COMMANDS and not target):
        return None
    return name
