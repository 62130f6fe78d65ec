"""A bare python-telegram-bot 22 echo bot: the baseline Limber is measured against.

    python bench/peers/ptb_echo.py [BASE_URL [TOKEN]]

``BASE_URL`` (or env ``TELEGRAM_BASE_URL``) is a Bot API base ending in ``/bot``, such as
``http://127.0.0.1:8081/bot``; ``TOKEN`` (or env ``TELEGRAM_BOT_TOKEN``) the bot token. Default
settings throughout: polling, one update at a time, httpx transport, no rate limiter. It echoes
texts, answers the benchmark's commands with a short text and every button press with an empty
answer. Stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import logging
import os
import sys

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

COMMAND_ANSWERS = {
    "start": "Welcome! Send me anything.",
    "help": "I echo what you send.",
    "reminders": "You have no reminders.",
    "routines": "Routines: desk-break, hamstrings.",
}


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a known command with its short text."""
    message = update.effective_message
    if message is not None and message.text:
        name = message.text.split()[0].lstrip("/").split("@")[0]
        await message.reply_text(COMMAND_ANSWERS.get(name, "?"))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the button's spinner."""
    if update.callback_query is not None:
        await update.callback_query.answer()


def build(base_url: str, token: str) -> Application:  # type: ignore[type-arg]
    """The application with python-telegram-bot's defaults, pointed at ``base_url``."""
    application = Application.builder().token(token).base_url(base_url).build()
    application.add_handler(CommandHandler(list(COMMAND_ANSWERS), on_command))
    application.add_handler(MessageHandler(filters.TEXT, on_text))
    application.add_handler(CallbackQueryHandler(on_button))
    return application


def main(argv: list[str]) -> None:
    base_url = argv[0] if argv else os.environ["TELEGRAM_BASE_URL"]
    token = argv[1] if len(argv) > 1 else os.environ["TELEGRAM_BOT_TOKEN"]
    logging.basicConfig(level=logging.WARNING)
    build(base_url.rstrip("/"), token).run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main(sys.argv[1:])
