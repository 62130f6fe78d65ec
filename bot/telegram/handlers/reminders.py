"""Handlers for reminders: /remind, /nudges, /reminders, /pause, /timezone, locations, blocking."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import ReplyKeyboardRemove, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ContextTypes

from bot.domain.schedule import Kind
from bot.domain.schedule_input import (
    InputError,
    NudgesOn,
    PauseUntil,
    RemindAt,
    TurnOff,
    parse_nudges,
    parse_pause,
    parse_remind,
)
from bot.domain.timezones import ZoneFound, ZoneQuestion, ZoneUnknown, is_fixed, is_known_zone, resolve_zone, zone_at
from bot.presentation import keyboards, texts
from bot.presentation.i18n import Words
from bot.services.notices import TurnedOff
from bot.telegram.handlers.common import ask_for_timezone, offer_reminder_times, reply, services, words_for

T = TypeVar("T")


async def _configure(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    _: Words,
    parse: Callable[[], T | TurnOff],
    examples: Callable[[Words], str],
    turn_off: Callable[[], Awaitable[str]],
    apply: Callable[[T], Awaitable[str]],
) -> None:
    """The shape of every setting command: read the arguments, explain a problem with
    examples (changing nothing), or turn the setting off, or apply it; answer in the user's words."""
    try:
        wish = parse()
    except InputError as problem:
        await reply(update, context, texts.input_problem(problem, examples(_), _))
        return
    await reply(update, context, await (turn_off() if isinstance(wish, TurnOff) else apply(wish)))


async def on_remind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    found = services(context)
    reminders = found.reminders
    _ = await words_for(update, context)

    async def set_it(wish: RemindAt) -> str:
        outcome = await reminders.set_daily(user.id, chat.id, user.first_name, wish.at, wish.days, wish.routine_id)
        return texts.reminder_set(outcome, found.routines, _)

    await _configure(
        update,
        context,
        _,
        # An unknown routine word is an InputError too: it names the routine ids, changing nothing.
        lambda: parse_remind(context.args or [], reminders.routine_ids()),
        texts.remind_examples,
        lambda: _turned_off(reminders.turn_off(user.id, Kind.DAILY), _),
        set_it,
    )


async def _turned_off(outcome: Awaitable[TurnedOff], _: Words) -> str:
    return texts.turned_off(await outcome, _)


async def on_nudges(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    reminders = services(context).reminders
    _ = await words_for(update, context)

    async def set_them(wish: NudgesOn) -> str:
        outcome = await reminders.set_nudges(user.id, chat.id, user.first_name, wish.window, wish.days)
        return texts.nudges_set(outcome, _)

    await _configure(
        update,
        context,
        _,
        lambda: parse_nudges(context.args or []),
        texts.nudge_examples,
        lambda: _turned_off(reminders.turn_off(user.id, Kind.NUDGE), _),
        set_them,
    )


async def on_reminders(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    found = services(context)
    _ = await words_for(update, context)
    view = await found.reminders.overview(user.id)
    await reply(update, context, texts.overview(view, found.routines, _), keyboards.reminder_removal(view, _))


async def on_pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    reminders = services(context).reminders
    _ = await words_for(update, context)
    zone = await reminders.zone_of(user.id)

    async def resume() -> str:
        return texts.resumed(await reminders.resume(user.id), _)

    async def pause(wish: PauseUntil) -> str:
        return texts.paused(await reminders.pause(user.id, chat.id, user.first_name, wish.until), _)

    await _configure(
        update,
        context,
        _,
        lambda: parse_pause(context.args or [], reminders.now(), zone),
        texts.pause_examples,
        resume,
        pause,
    )


async def on_timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    typed = " ".join(context.args or [])
    if not typed:
        await ask_for_timezone(update, context)
        return
    _ = await words_for(update, context)
    # The first lookup builds the city index (about half a second): not on the event loop.
    resolved = await asyncio.to_thread(resolve_zone, typed)
    now = services(context).reminders.now()
    match resolved:
        case ZoneFound(zone):
            outcome = await services(context).reminders.set_timezone(user.id, chat.id, user.first_name, zone)
            await reply(update, context, texts.timezone_set(outcome, _) + texts.timezone_reading(resolved, _))
            await offer_reminder_times(update, context, zone)
        case ZoneQuestion(_typed, choices):
            await reply(
                update, context, texts.timezone_question(resolved, now, _), keyboards.timezone_choices(choices, now, _)
            )
        case ZoneUnknown(suggestions, reason):
            offered = keyboards.timezone_choices(suggestions, now, _) if suggestions else None
            await reply(update, context, texts.timezone_unknown(typed, suggestions, reason, _), offered)


async def confirm_timezone(update: Update, context: ContextTypes.DEFAULT_TYPE, zone: str) -> bool:
    """A zone button pressed after /timezone: set it. False if the zone is not a real one."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or not is_known_zone(zone):
        return False
    _ = await words_for(update, context)
    outcome = await services(context).reminders.set_timezone(user.id, chat.id, user.first_name, zone)
    answer = texts.timezone_set(outcome, _)
    if is_fixed(zone):
        answer += texts.timezone_reading(ZoneFound(zone, fixed_offset=zone.removeprefix("Etc/")), _)
    await reply(update, context, answer)
    await offer_reminder_times(update, context, zone)
    return True


async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None or message.location is None:
        return
    messenger = services(context).messenger
    _ = await words_for(update, context)
    zone = zone_at(message.location.latitude, message.location.longitude)
    if zone is None:
        await messenger.post_markup(chat.id, texts.location_unknown(_), ReplyKeyboardRemove())
        return
    outcome = await services(context).reminders.set_timezone(user.id, chat.id, user.first_name, zone)
    await messenger.post_markup(chat.id, texts.timezone_set(outcome, _), ReplyKeyboardRemove())
    await offer_reminder_times(update, context, zone)


async def on_any_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every other handler: a message or tap from a user means they can be reached."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or update.my_chat_member is not None or chat.type != ChatType.PRIVATE:
        return
    await services(context).reminders.heard_from(user.id)


async def on_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A private chat's user blocked (kicked) or unblocked (member) the bot. (Groups are
    handled in :mod:`bot.telegram.handlers.groups` and never reach here.)"""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    found = services(context)
    status = change.new_chat_member.status
    # A private chat's id is its user's id.
    if status in {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}:
        await found.reminders.chat_blocked(change.chat.id)
        await found.coach.stop_quietly(change.chat.id)
    elif status == ChatMemberStatus.MEMBER:
        await found.reminders.user_unblocked(change.chat.id)
