"""Telegram handlers: translate updates into calls on the services and answers back.

No rules live here. Every callback query is answered (a toast, possibly empty) so the client's
spinner stops, and anything unexpected gets a hint rather than silence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import menus, texts
from bot.actions import SessionAction, ShowRoutines, StartOver, StartRoutine, decode
from bot.coach import Coach
from bot.logs import redact
from bot.telegram_messenger import markup
from bot.routines import RoutineBook

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    coach: Coach
    routines: RoutineBook


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in texts.COMMANDS]


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(CommandHandler("help", on_help))
    application.add_handler(CommandHandler("routines", on_routines))
    application.add_handler(CommandHandler("stretch", on_stretch))
    application.add_handler(CommandHandler("stop", on_stop))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, on_other_message))
    application.add_error_handler(on_error)


async def _reply(update: Update, text: str, keyboard: menus.Keyboard | None = None) -> None:
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text, parse_mode="HTML", reply_markup=markup(keyboard))


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    routines = services(context).routines
    await _reply(update, texts.welcome(user.first_name if user else "", routines), menus.routine_picker(routines))


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, texts.help_text())


async def on_routines(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    routines = services(context).routines
    await _reply(update, texts.routine_list(routines), menus.routine_picker(routines))


async def on_stretch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    found = services(context)
    if context.args:
        wanted = context.args[0].lower()
        routine = found.routines.get(wanted)
        if routine is None:
            await _reply(
                update,
                texts.unknown_routine(context.args[0]) + "\n\n" + texts.routine_list(found.routines),
                menus.routine_picker(found.routines),
            )
            return
    else:
        routine = found.routines.default
    await found.coach.start(user.id, chat.id, user.first_name, routine)


async def on_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    if not await services(context).coach.stop_current(user.id):
        await _reply(update, texts.nothing_to_stop())


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None:
        return
    action = decode(query.data)
    if action is None or user is None or chat is None:
        await query.answer(texts.TOAST_EXPIRED)
        return
    found = services(context)
    toast = ""
    match action:
        case StartRoutine(routine_id):
            routine = found.routines.get(routine_id)
            if routine is None:
                toast = texts.TOAST_EXPIRED
            else:
                await query.answer()
                await found.coach.start(user.id, chat.id, user.first_name, routine)
                return
        case SessionAction():
            toast = await found.coach.act(user.id, action)
        case StartOver():
            toast = await found.coach.start_over(user.id, chat.id, user.first_name, action)
        case ShowRoutines():
            await query.answer()
            await _reply(update, texts.routine_list(found.routines), menus.routine_picker(found.routines))
            return
    await query.answer(toast or None)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "/").split()[0].split("@")[0]
    await _reply(update, texts.unknown_command(command))


async def on_other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    routine = await services(context).coach.current_routine(user.id)
    await _reply(update, texts.unexpected_message(routine))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("Handling an update failed: %s", redact(repr(context.error)), exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.something_went_wrong()[:190])
        elif update.effective_chat is not None:
            await update.effective_chat.send_message(texts.something_went_wrong())
    except Exception:  # noqa: BLE001 - the error handler must never raise itself
        log.warning("Could not tell the user about the error either")
