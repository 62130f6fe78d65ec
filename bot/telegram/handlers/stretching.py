"""Handlers for guided routines: /stretch, /routines, /stop."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.presentation import keyboards, texts
from bot.telegram.handlers.common import reply, services, words_for


async def on_routines(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    routines = services(context).routines
    _ = await words_for(update, context)
    await reply(update, context, texts.routine_list(routines, _), keyboards.routine_picker(routines, _))


async def on_stretch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    found = services(context)
    if context.args:
        routine = found.routines.get(context.args[0].lower())
        if routine is None:
            _ = await words_for(update, context)
            await reply(
                update,
                context,
                texts.unknown_routine(context.args[0], _) + "\n\n" + texts.routine_list(found.routines, _),
                keyboards.routine_picker(found.routines, _),
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
        await reply(update, context, texts.nothing_to_stop(await words_for(update, context)))
