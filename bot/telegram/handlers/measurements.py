"""Handlers for reach measurements: typed answers, /reach, /progress, /history, /export, /forget."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.domain.reach import ReachError, parse_reach
from bot.presentation import keyboards, texts
from bot.telegram.handlers.common import reply, services
from bot.telegram.handlers.free_text import answer_open_question, source_of


async def on_reach(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    typed = " ".join(context.args or [])
    if not typed:
        await reply(update, context, texts.REACH_USAGE)
        return
    if await answer_open_question(update, context, typed):
        return
    try:
        reach = parse_reach(typed)
    except ReachError as problem:
        await reply(update, context, texts.reach_problem(str(problem)))
        return
    answer, keyboard = await services(context).progress.log(
        user.id, chat.id, user.first_name, reach, source_of(update)
    )
    await reply(update, context, answer, keyboard)


async def on_progress(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    found = services(context)
    text, chart = await found.progress.summary(user.id)
    await reply(update, context, text)
    if chart is not None:
        await found.messenger.request(
            chat.id, lambda: found.messenger.bot.send_photo(
                chat.id, InputFile(chart, filename="reach.png"), caption=texts.chart_caption()
            )
        )


async def on_history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is not None:
        await reply(update, context, await services(context).progress.history(user.id))


async def on_export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    found = services(context)
    data = await found.progress.export_csv(user.id)
    if data is None:
        await reply(update, context, texts.NOTHING_TO_EXPORT)
        return
    await found.messenger.request(
        chat.id, lambda: found.messenger.bot.send_document(
            chat.id, InputFile(data, filename="limber-data.csv"), caption=texts.EXPORT_CAPTION
        )
    )


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, context, texts.FORGET_QUESTION, keyboards.forget_confirmation())
