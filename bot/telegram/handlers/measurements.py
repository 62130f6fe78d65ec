"""Handlers for reach measurements: typed answers, /reach, /progress, /history, /export, /forget."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.domain.reach import ReachError, parse_reach
from bot.presentation import keyboards, texts
from bot.presentation.chart import reach_chart
from bot.telegram.handlers.common import reply, services, words_for
from bot.telegram.handlers.free_text import answer_open_question, source_of


async def on_reach(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    _ = await words_for(update, context)
    typed = " ".join(context.args or [])
    if not typed:
        await reply(update, context, texts.reach_usage(_))
        return
    if await answer_open_question(update, context, typed):
        return
    try:
        reach = parse_reach(typed)
    except ReachError as problem:
        await reply(update, context, texts.reach_problem(problem, _))
        return
    logged = await services(context).progress.log(user.id, chat.id, user.first_name, reach, source_of(update))
    asked = (
        keyboards.did_you_mean(logged.measurement_id, reach, logged.doubt.suggestion_cm, _)
        if logged.doubt is not None and logged.measurement_id is not None
        else None
    )
    await reply(update, context, texts.reach_logged(logged, _), asked)


async def on_progress(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    found = services(context)
    _ = await words_for(update, context)
    view = await found.progress.summary(user.id)
    await reply(update, context, texts.progress(view, _))
    if view.chartable:
        # Drawing takes a tenth of a second or more: never on the event loop, where it would
        # hold up every other chat.
        chart = await asyncio.to_thread(reach_chart, view.measurements, view.zone, _)
        await found.messenger.request(
            chat.id, lambda: found.messenger.bot.send_photo(
                chat.id, InputFile(chart, filename="reach.png"), caption=texts.chart_caption(_)
            )
        )


async def on_history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is not None:
        found = services(context)
        view = await found.progress.history(user.id)
        await reply(update, context, texts.history(view, found.routines, await words_for(update, context)))


async def on_export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    found = services(context)
    _ = await words_for(update, context)
    data = await found.progress.export_csv(user.id)
    if data is None:
        await reply(update, context, texts.nothing_to_export(_))
        return
    await found.messenger.request(
        chat.id, lambda: found.messenger.bot.send_document(
            chat.id, InputFile(data, filename="limber-data.csv"), caption=texts.export_caption(_)
        )
    )


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = await words_for(update, context)
    await reply(update, context, texts.forget_question(_), keyboards.forget_confirmation(_))
