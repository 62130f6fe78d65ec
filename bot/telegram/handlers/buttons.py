"""One entry point for every inline button: decode strictly, then hand to the right service."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import time

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.actions import (
    AskTimezone,
    CheckIn,
    ChooseLanguage,
    ConfirmTimezone,
    Forget,
    QuickReminder,
    ReachAnswer,
    ReminderAction,
    ReminderVerb,
    RemoveReminder,
    SessionAction,
    SettleDoubt,
    ShowRoutines,
    StartOver,
    StartRoutine,
    decode,
)
from bot.domain.schedule import Weekdays
from bot.presentation import keyboards, texts
from bot.services.coach import landmark_reach
from bot.services.notices import Notice, Toast
from bot.telegram.handlers.common import ask_for_timezone, choose_language, reply, services, telegram_words, words_for
from bot.telegram.handlers.reminders import confirm_timezone


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None:
        return
    action = decode(query.data)
    if action is None or user is None or chat is None:
        await query.answer(texts.toast(Notice.EXPIRED, telegram_words(update, context)))
        return
    found = services(context)
    toast: Toast = None
    follow_up: str | None = None
    match action:
        case StartRoutine(routine_id, anyway):
            routine = found.routines.get(routine_id)
            if routine is None:
                toast = Notice.EXPIRED
            else:
                await query.answer()
                await found.coach.start(user.id, chat.id, user.first_name, routine, anyway=anyway)
                return
        case SessionAction():
            toast = await found.coach.act(user.id, action)
        case StartOver():
            toast = await found.coach.start_over(user.id, chat.id, user.first_name, action)
        case ShowRoutines():
            follow_up = texts.routine_list(found.routines, await words_for(update, context))
        case ReminderAction(delivery_id, verb):
            if verb is ReminderVerb.START:
                delivery = await found.reminders.reminder_for(user.id, delivery_id)
                if isinstance(delivery, Notice):
                    toast = delivery
                else:
                    await query.answer()
                    await found.reminders.started_from(delivery)
                    routine = found.reminders.routine_for(delivery)
                    await found.coach.start(user.id, chat.id, user.first_name, routine)
                    return
            elif verb.snooze_minutes:
                toast = await found.reminders.snooze(user.id, delivery_id, verb.snooze_minutes)
            elif verb is ReminderVerb.SKIP_TODAY:
                toast = await found.reminders.skip_today(user.id, delivery_id)
            else:
                toast = await found.reminders.moved(user.id, delivery_id)
        case QuickReminder(hour, minute):
            await query.answer()
            outcome = await found.reminders.set_daily(
                user.id, chat.id, user.first_name, time(hour, minute), Weekdays.workdays()
            )
            _ = await words_for(update, context)
            if query.message is not None:
                # One tap sets one reminder: the suggested times go (a second tap would add
                # another); changing the zone stays on offer.
                offer = texts.onboarding_reminder(await found.reminders.zone_name(user.id), _)
                found.messenger.edit(chat.id, query.message.message_id, offer, keyboards.change_zone(_))
            await reply(update, context, texts.reminder_set(outcome, found.routines, _))
            return
        case RemoveReminder(at):
            await _reminder_removed(update, context, at)
            return
        case AskTimezone():
            await query.answer()
            await ask_for_timezone(update, context)
            return
        case ConfirmTimezone(zone):
            await _choice_made(update, context, confirm_timezone(update, context, zone))
            return
        case ReachAnswer(session_id, step_index, landmark):
            reach = landmark_reach(landmark) if landmark else None
            toast = await found.coach.record_reach(user.id, session_id, step_index, reach)
        case SettleDoubt():
            settled = await found.progress.settle_doubt(user.id, action)
            if settled is None:
                toast = Notice.EXPIRED
            else:
                toast = Notice.SAVED
                if query.message is not None:
                    saved = texts.doubt_settled(settled, await words_for(update, context))
                    found.messenger.edit(chat.id, query.message.message_id, saved, None)
        case ChooseLanguage(language):
            await _choice_made(update, context, choose_language(update, context, language))
            return
        case CheckIn():
            message_id = query.message.message_id if query.message is not None else None
            toast = await found.coach.check_in(user.id, action, message_id)
        case Forget(confirmed):
            await query.answer()
            if query.message is not None:
                found.messenger.clear_buttons(chat.id, query.message.message_id)
            if confirmed:
                await found.progress.forget(user.id)
            await reply(update, context, texts.forgotten(confirmed, await words_for(update, context)))
            return
    words_ = await found.languages.words_of(user.id) if toast is not None else None
    await query.answer(texts.toast(toast, words_) if words_ is not None else None)
    if follow_up is not None:
        picker = keyboards.routine_picker(found.routines, await words_for(update, context))
        await reply(update, context, follow_up, picker)


async def _reminder_removed(update: Update, context: ContextTypes.DEFAULT_TYPE, at: time | None) -> None:
    """A 🗑 button under /reminders: remove that one, say so, and redraw the list in place."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    assert query is not None and user is not None and chat is not None
    found = services(context)
    removed = await found.reminders.remove(user.id, at)
    _ = await words_for(update, context)
    await query.answer(texts.removed(at, removed, _))
    if query.message is not None:
        view = await found.reminders.overview(user.id)
        found.messenger.edit(
            chat.id, query.message.message_id, texts.overview(view, found.routines, _),
            keyboards.reminder_removal(view, _),
        )


async def _choice_made(update: Update, context: ContextTypes.DEFAULT_TYPE, applied: Awaitable[bool]) -> None:
    """A one-time choice (a zone, a language): the choice buttons go, the choice is applied, and a
    choice that is not ours (forged or stale) is said to have expired."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    await query.answer()
    if query.message is not None:
        services(context).messenger.clear_buttons(chat.id, query.message.message_id)
    if not await applied:
        await reply(update, context, texts.toast(Notice.EXPIRED, await words_for(update, context)) or "")
