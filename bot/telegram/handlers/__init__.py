"""Telegram handlers: translate updates into calls on the services and answers back.

No rules live here. Every callback query is answered (a toast, possibly empty) so the client's
spinner stops, and anything unexpected gets a hint rather than silence. One module per feature;
:func:`register` wires them in the order Telegram updates are matched.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.presentation import texts
from bot.telegram.handlers import buttons, common, free_text, groups, measurements, reminders, stretching
from bot.telegram.handlers.common import Services, bot_commands, register_menus

__all__ = ["Services", "bot_commands", "register", "register_menus"]


class Matching(BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]):
    """Runs ``callback`` for updates ``predicate(update, application)`` accepts: a cheap check
    first, so the common update pays nothing for a rare rule."""

    __slots__ = ("_application", "predicate")

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        predicate: Callable[[Update, Application], bool],  # type: ignore[type-arg]
        callback: Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]],
    ) -> None:
        super().__init__(callback)
        self.predicate = predicate
        self._application = application

    def check_update(self, update: object) -> bool:
        return isinstance(update, Update) and self.predicate(update, self._application)


def _language_not_known(update: Update, application: Application) -> bool:  # type: ignore[type-arg]
    user, chat = update.effective_user, update.effective_chat
    found: Services | None = application.bot_data.get("services")
    private = chat is not None and chat.type == ChatType.PRIVATE
    return private and user is not None and found is not None and not found.languages.known(user.id)


def _language_pending(update: Update, application: Application) -> bool:  # type: ignore[type-arg]
    user = update.effective_user
    found: Services | None = application.bot_data.get("services")
    return user is not None and found is not None and found.languages.pending(user.id)


def _from_a_group(update: Update, application: Application) -> bool:  # type: ignore[type-arg]
    chat = update.effective_chat
    return chat is not None and chat.type != ChatType.PRIVATE


def _from_a_blocked_user(update: Update, application: Application) -> bool:  # type: ignore[type-arg]
    user = update.effective_user
    found: Services | None = application.bot_data.get("services")
    return user is not None and found is not None and found.reminders.marked_blocked(user.id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    commands = {
        "start": common.on_start,
        "help": common.on_help,
        "routines": stretching.on_routines,
        "stretch": stretching.on_stretch,
        "stop": stretching.on_stop,
        "remind": reminders.on_remind,
        "nudges": reminders.on_nudges,
        "reminders": reminders.on_reminders,
        "pause": reminders.on_pause,
        "timezone": reminders.on_timezone,
        "reach": measurements.on_reach,
        "progress": measurements.on_progress,
        "history": measurements.on_history,
        "export": measurements.on_export,
        "forget": measurements.on_forget,
        "language": common.on_language,
    }
    # Group chats are answered (or not) by their own rules, and go no further.
    application.add_handler(Matching(application, _from_a_group, groups.in_group), group=-2)
    # A user's first contact sets the language they are spoken to in (whatever they send
    # first). Checked against memory, so a known user's update costs nothing here.
    application.add_handler(Matching(application, _language_not_known, common.note_language), group=-3)
    # A user marked as having blocked the bot writes again: they unblocked it. Checked against
    # memory, so an ordinary update costs nothing here.
    application.add_handler(Matching(application, _from_a_blocked_user, reminders.on_any_update), group=-1)
    # Edits never run a command or store a measurement again (CommandHandler matches edits).
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, common.on_edited))
    for name, callback in commands.items():
        aliases = [alias for alias, command in texts.COMMAND_ALIASES.items() if command == name]
        application.add_handler(CommandHandler([name, *aliases], callback))
    application.add_handler(CallbackQueryHandler(buttons.on_button))
    # After the update was handled: a profile it created gets the language of the first contact.
    application.add_handler(Matching(application, _language_pending, common.settle_language), group=10)
    application.add_handler(ChatMemberHandler(reminders.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.LOCATION, reminders.on_location))
    application.add_handler(MessageHandler(filters.COMMAND, common.on_unknown_command))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, free_text.on_other_message))
    application.add_error_handler(common.on_error)
