"""Messages that are not commands: the reach answer at an assessment step, or a hint."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.reach import ReachError, parse_reach
from bot.domain.session import Session
from bot.presentation import texts
from bot.telegram.handlers.common import reply, services, words_for

#: "Not read yet" for the session argument below (None means "read: there is none").
_UNREAD = object()


async def answer_open_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, session: Session | object | None = _UNREAD
) -> bool:
    """If the user is at an assessment step, take ``text`` as their reach (or re-ask with
    examples when it is not one). True if the text was taken as an answer. ``session`` is the
    user's active session if the caller already read it."""
    user = update.effective_user
    if user is None:
        return False
    coach = services(context).coach
    if session is _UNREAD:
        session = await coach.active_session(user.id)
    if not isinstance(session, Session) or session.id is None or not coach.is_asking(session):
        return False
    try:
        reach = parse_reach(text)
    except ReachError as problem:
        await reply(update, context, texts.reach_problem(problem, await words_for(update, context)))
        return True
    await coach.record_reach(
        user.id, session.id, session.step_index, reach, typed=True, source=source_of(update)
    )
    return True


async def on_other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Typed (or replied) text at an assessment step is the reach answer; a measurement sent
    outside a routine is pointed to /reach; anything else gets a hint."""
    user, message = update.effective_user, update.effective_message
    if user is None:
        return
    text = message.text if message is not None else None
    coach = services(context).coach
    session = await coach.active_session(user.id)  # read once, for both questions below
    if text is not None:
        if await answer_open_question(update, context, text, session):
            return
        if _is_a_reach(text):
            await reply(update, context, texts.reach_outside_routine(await words_for(update, context)))
            return
    _ = await words_for(update, context)
    running = coach.routine_in(session)
    shown = services(context).routines.in_language(running, _.language) if running is not None else None
    await reply(update, context, texts.unexpected_message(shown, _))


def source_of(update: Update) -> str:
    """Names the message a measurement was typed in (stored with it, so handling the same
    update again after a crash does not store it twice)."""
    return f"update:{update.update_id}"


def _is_a_reach(text: str) -> bool:
    try:
        parse_reach(text)
    except ReachError:
        return False
    return True
