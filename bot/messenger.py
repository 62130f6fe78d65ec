"""How the bot's services talk to a chat, without knowing it is Telegram.

Services hand over text (Telegram-flavoured HTML) and button layouts as plain data. The
implementation lives in :mod:`bot.telegram_messenger`; tests may supply their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.menus import Keyboard


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivery attempt."""

    message_id: int | None = None
    #: The user has blocked the bot: stop messaging them.
    blocked: bool = False
    #: Telegram asked us to wait this many seconds (429) even after the client's retries.
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.message_id is not None


class Messenger(Protocol):
    async def send(self, chat_id: int, text: str, keyboard: Keyboard | None = None) -> int | None:
        """Send a message; returns its id, or None if it could not be delivered."""

    async def deliver(self, chat_id: int, text: str, keyboard: Keyboard | None = None) -> Outcome:
        """Send a scheduled message and say exactly what happened (for the courier)."""

    async def edit(self, chat_id: int, message_id: int, text: str, keyboard: Keyboard | None) -> None:
        """Replace a message's text and buttons (no notification)."""

    async def clear_buttons(self, chat_id: int, message_id: int) -> None:
        """Remove the buttons under a message."""
