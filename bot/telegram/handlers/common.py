"""Handlers every user meets: welcome, help, unknown input, errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import BotCommand, Update
from telegram.ext import ContextTypes

from bot.domain.routines import RoutineBook
from bot.logs import redact
from bot.presentation import keyboards, texts
from bot.services.coach import Coach
from bot.services.progress import ProgressReport
from bot.services.reminders import Reminders
from bot.telegram.messenger import TelegramMessenger

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    coach: Coach
    reminders: Reminders
    progress: ProgressReport
    messenger: TelegramMessenger
    routines: RoutineBook
    default_timezone: str


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in texts.COMMANDS]


async def reply(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, keyboard: keyboards.Keyboard | None = None
) -> None:
    """Answer in the update's chat, through the one outbound dispatcher, and wait until it is
    sent: the update counts as handled only once its answer is out."""
    chat = update.effective_chat
    if chat is not None:
        await services(context).messenger.post(chat.id, text, keyboard)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    found = services(context)
    await reply(
        update,
        context,
        texts.welcome(user.first_name if user else "", found.routines),
        keyboards.routine_picker(found.routines),
    )
    zone = found.default_timezone
    if user is not None:
        zone = await found.reminders.zone_name(user.id)
    await reply(update, context, texts.onboarding_reminder(zone), keyboards.onboarding())


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, context, texts.help_text())


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edits never run anything again. An edited command or number gets a short note, so a
    correction typed as an edit is not silently lost; other edits are ignored."""
    message = update.edited_message
    text = (message.text or "").strip() if message is not None else ""
    if text.startswith("/") or any(ch.isdigit() for ch in text[:16]):
        await reply(update, context, texts.EDITS_NOT_READ)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "/").split()[0].split("@")[0]
    await reply(update, context, texts.unknown_command(command))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("Handling an update failed: %s", redact(repr(context.error)), exc_info=context.error)
    if not isinstance(update, Update):
        return
    # A button press may already have been answered before the failure, so the chat always
    # hears about it too; the exception itself is never shown.
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except Exception:
            pass
    try:
        await reply(update, context, texts.something_went_wrong())
    except Exception:
        log.warning("Could not tell the user about the error either")
