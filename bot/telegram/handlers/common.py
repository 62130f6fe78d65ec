"""Handlers every user meets: welcome, help, unknown input, errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, BotCommand, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.domain.routines import RoutineBook
from bot.logs import redact
from bot.presentation import keyboards, texts
from bot.presentation.i18n import DEFAULT, SHIPPED, Words, negotiate, telegram_code, words
from bot.services.coach import Coach
from bot.services.languages import Languages
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
    languages: Languages


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


def bot_commands(language: str = DEFAULT) -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in texts.commands(words(language))]


async def register_menus(bot: Bot) -> None:
    """The command menu in every shipped language (Telegram shows each user the one for their
    app's language), English also as the default for all others."""
    await bot.set_my_commands(bot_commands())
    for language in SHIPPED:
        await bot.set_my_commands(bot_commands(language), language_code=telegram_code(language))


async def words_for(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Words:
    """The words of the user this update is from, in their language."""
    user = update.effective_user
    if user is None:
        return words(DEFAULT)
    language = await services(context).languages.of(user.id, user.first_name, user.language_code)
    return words(language)


def telegram_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Words:
    """The user's words without asking the database (see :func:`words_without_query`)."""
    return words_without_query(update, services(context).languages)


def words_without_query(update: Update, languages: Languages) -> Words:
    """The user's words as this process knows their language, else their Telegram app's: for
    a group, a flood or an error, where the stored choice may be out of reach or not worth a
    query."""
    user = update.effective_user
    if user is None:
        return words(DEFAULT)
    return words(languages.remembered(user.id) or negotiate(user.language_code))


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
    _ = await words_for(update, context)
    await reply(
        update,
        context,
        texts.welcome(user.first_name if user else "", found.routines, _),
        keyboards.routine_picker(found.routines, _),
    )
    # Reminder times are offered once the zone is known: asked first, offered after it is set.
    zone = await found.reminders.zone_chosen(user.id) if user is not None else None
    if zone is None:
        await ask_for_timezone(update, context, texts.onboarding_zone(_))
    else:
        await reply(update, context, texts.onboarding_reminder(zone, _), keyboards.onboarding(_))


async def ask_for_timezone(
    update: Update, context: ContextTypes.DEFAULT_TYPE, prompt: str | None = None
) -> None:
    """Where is the user? A button to share their location, or their city by /timezone."""
    chat = update.effective_chat
    if chat is None:
        return
    _ = await words_for(update, context)
    share = ReplyKeyboardMarkup(
        [[KeyboardButton("📍 " + _("Share my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await services(context).messenger.post_markup(chat.id, prompt or texts.timezone_prompt(_), share)


async def offer_reminder_times(update: Update, context: ContextTypes.DEFAULT_TYPE, zone: str) -> None:
    """Once a zone is set: the suggested reminder times, unless the user has a reminder."""
    user = update.effective_user
    found = services(context)
    if user is not None and not await found.reminders.has_daily(user.id):
        _ = await words_for(update, context)
        await reply(update, context, texts.onboarding_reminder(zone, _), keyboards.onboarding(_))


async def note_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """First contact (of this process) with a user: learn, or set, their language."""
    await words_for(update, context)


async def settle_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is not None:
        await services(context).languages.settle(user.id)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, context, texts.help_text(await words_for(update, context)))


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language: buttons for every shipped language; /language de sets it at once."""
    typed = " ".join(context.args or []).strip()
    if not typed:
        await reply(update, context, texts.language_menu(await words_for(update, context)), keyboards.languages())
        return
    language = negotiate(_LANGUAGE_WORDS.get(typed.lower(), typed))
    if language == DEFAULT and not _is_english(typed):
        _ = await words_for(update, context)
        await reply(update, context, texts.language_unknown(_, typed), keyboards.languages())
        return
    await choose_language(update, context, language)


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> bool:
    """Store the user's choice and say so in the new language; False if it is not one of ours."""
    user = update.effective_user
    if user is None or not await services(context).languages.choose(user.id, user.first_name, language):
        return False
    await reply(update, context, texts.language_set(words(language)))
    return True


#: Languages typed by name after /language, in English or in themselves.
_LANGUAGE_WORDS = {
    "english": "en", "german": "de", "deutsch": "de", "spanish": "es", "español": "es", "espanol": "es",
    "portuguese": "pt", "português": "pt", "portugues": "pt", "russian": "ru", "русский": "ru",
}


def _is_english(typed: str) -> bool:
    return _LANGUAGE_WORDS.get(typed.lower(), typed.lower().replace("_", "-").split("-")[0]) == "en"


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edits never run anything again. An edited command or number gets a short note, so a
    correction typed as an edit is not silently lost; other edits are ignored."""
    message = update.edited_message
    text = (message.text or "").strip() if message is not None else ""
    if text.startswith("/") or any(ch.isdigit() for ch in text[:16]):
        await reply(update, context, texts.edits_not_read(await words_for(update, context)))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "/").split()[0].split("@")[0]
    await reply(update, context, texts.unknown_command(command, await words_for(update, context)))


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
        await reply(update, context, texts.something_went_wrong(telegram_words(update, context)))
    except Exception:
        log.warning("Could not tell the user about the error either")
