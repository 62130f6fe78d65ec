"""A bare aiogram 3 echo bot: the second peer Limber is measured against.

    python bench/peers/aiogram_echo.py [BASE_URL [TOKEN]]

``BASE_URL`` (or env ``TELEGRAM_BASE_URL``) is a Bot API base ending in ``/bot``, as
python-telegram-bot and Limber take it (``http://127.0.0.1:8081/bot``); aiogram wants the server
root, so the ``/bot`` suffix is dropped for ``TelegramAPIServer.from_base``. ``TOKEN`` (or env
``TELEGRAM_BOT_TOKEN``) is the bot token. Default settings throughout: polling, aiohttp transport,
each update handled as its own task. It echoes texts, answers the benchmark's commands with a
short text and every button press with an empty answer. Stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

COMMAND_ANSWERS = {
    "start": "Welcome! Send me anything.",
    "help": "I echo what you send.",
    "reminders": "You have no reminders.",
    "routines": "Routines: desk-break, hamstrings.",
}

dispatcher = Dispatcher()


@dispatcher.message(Command(*COMMAND_ANSWERS))
async def on_command(message: Message, command: CommandObject) -> None:
    """Answer a known command with its short text."""
    await message.answer(COMMAND_ANSWERS.get(command.command, "?"))


@dispatcher.message(F.text)
async def on_text(message: Message) -> None:
    """Send the text back."""
    await message.answer(message.text or "")


@dispatcher.callback_query()
async def on_button(query: CallbackQuery) -> None:
    """Stop the button's spinner."""
    await query.answer()


def server_root(base_url: str) -> str:
    """``http://host:port/bot`` -> ``http://host:port`` (aiogram appends ``/bot{token}`` itself)."""
    base_url = base_url.rstrip("/")
    return base_url.removesuffix("/bot")


async def run(base_url: str, token: str) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server_root(base_url)))
    bot = Bot(token, session=session)
    await dispatcher.start_polling(bot)


def main(argv: list[str]) -> None:
    base_url = argv[0] if argv else os.environ["TELEGRAM_BASE_URL"]
    token = argv[1] if len(argv) > 1 else os.environ["TELEGRAM_BOT_TOKEN"]
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(base_url, token))


if __name__ == "__main__":
    main(sys.argv[1:])
