"""How the bot's services talk to a chat, without knowing it is Telegram.

Services hand over text (Telegram-flavoured HTML) and button layouts as plain data, say what
kind of traffic it is, and get a :class:`Ticket` back at once. The ticket resolves to an
:class:`Outcome` once the message was delivered, given up, or dropped; a service that must not
wait (the session clock, the reminder courier) lets it resolve in the background.

The implementation lives in :mod:`bot.telegram.messenger` (through one outbound dispatcher that
keeps Telegram's limits); tests may supply their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Protocol

from bot.presentation.keyboards import Keyboard


class Traffic(Enum):
    """What a message is for; decides its priority when Telegram's limits bite."""

    #: An answer to something the user just did.
    REPLY = "reply"
    #: A pose card or another step of a running routine: it is due now.
    CARD = "card"
    #: A scheduled reminder or nudge.
    REMINDER = "reminder"
    #: Tidying up (taking stale buttons away): dropped first when the bot is busy.
    TIDY = "tidy"
    #: A live card's countdown redrawn: worth sending only now, skipped (never queued) when
    #: the bot is near Telegram's limits; the next redraw catches up.
    LIVE = "live"


class Status(StrEnum):
    DELIVERED = "delivered"
    #: The request reached Telegram but no answer came back in time: it may well have arrived.
    #: Never sent again (a duplicate is worse than a doubt).
    UNSURE = "unsure"
    #: The user blocked the bot (or the bot is no longer in the group).
    BLOCKED = "blocked"
    #: Telegram refused the request as malformed or impossible; retrying would not help.
    REJECTED = "rejected"
    #: Transient faults lasted past the message's deadline.
    GAVE_UP = "gave_up"
    #: Cosmetic traffic skipped because the bot was near Telegram's limits.
    DROPPED = "dropped"
    #: Withdrawn by the sender before it was sent (e.g. a pose card the user already skipped).
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one message."""

    status: Status
    message_id: int | None = None
    detail: str = ""

    @property
    def delivered(self) -> bool:
        return self.status is Status.DELIVERED


class Ticket:
    """A message on its way: await it for the :class:`Outcome`; ``cancel()`` withdraws it if
    it has not been sent yet."""

    __slots__ = ("_future", "_withdraw")

    def __init__(self, future: asyncio.Future[Outcome], withdraw: Callable[[], bool] | None = None) -> None:
        self._future = future
        self._withdraw = withdraw

    @classmethod
    def settled(cls, outcome: Outcome) -> Ticket:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        future.set_result(outcome)
        return cls(future)

    def __await__(self) -> Generator[Any, None, Outcome]:
        # Awaiting is waiting, not owning: a waiter that is cancelled must not cancel the
        # message for everyone else, hence the shield.
        return asyncio.shield(self._future).__await__()

    def done(self) -> bool:
        return self._future.done()

    def result(self) -> Outcome:
        """The outcome of a ticket that is done (see :meth:`done`)."""
        return self._future.result()

    def cancel(self) -> bool:
        """Withdraw the message if it is still queued; True if it will not be sent."""
        return self._withdraw() if self._withdraw is not None and not self._future.done() else False


#: Runs right before each attempt to send (e.g. to record durably that a send is under way).
#: Called before each attempt to send; returning False withdraws the message (CANCELLED).
BeforeAttempt = Callable[[], Awaitable[bool | None]]


@dataclass(frozen=True, slots=True)
class Picture:
    """An image to send with a message, drawn on demand: ``key`` names it (the same key, the
    same image), so it is uploaded once and reused after that."""

    key: str
    render: Callable[[], bytes]


class Messenger(Protocol):
    def post(
        self,
        chat_id: int,
        text: str,
        keyboard: Keyboard | None = None,
        *,
        traffic: Traffic = Traffic.REPLY,
        ttl: float | None = None,
        before_attempt: BeforeAttempt | None = None,
        picture: Picture | None = None,
    ) -> Ticket:
        """Queue a message (with ``picture``, the text is its caption); ``ttl`` is how many
        seconds it stays worth sending."""

    def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        keyboard: Keyboard | None,
        *,
        traffic: Traffic = Traffic.REPLY,
        caption: bool = False,
    ) -> Ticket:
        """Replace a message's text (``caption``: a picture's caption) and buttons (no
        notification)."""

    def clear_buttons(self, chat_id: int, message_id: int) -> Ticket:
        """Remove the buttons under a message (tidying: may be dropped when busy)."""
