"""How the bot's services talk to a chat, without knowing it is Telegram.

Services hand over text (Telegram-flavoured HTML) and button layouts as plain data. The
implementation lives in :mod:`bot.telegram_messenger`; tests may supply their own.
"""

from __future__ import annotations

from typing import Protocol

from bot.menus import Keyboard


class Messenger(Protocol):
    async def send(self, chat_id: int, text: str, keyboard: Keyboard | None = None) -> int | None:
        """Send a message; returns its id, or None if it could not be delivered."""

    async def edit(self, chat_id: int, message_id: int, text: str, keyboard: Keyboard | None) -> None:
        """Replace a message's text and buttons (no notification)."""

    async def clear_buttons(self, chat_id: int, message_id: int) -> None:
        """Remove the buttons under a message."""
