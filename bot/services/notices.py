"""What a button press came to, as data: the handlers show it to the user, in their words,
as the short toast over the chat (see ``texts.toast``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.routines import Routine
from bot.domain.schedule import Weekdays


class Notice(StrEnum):
    EXPIRED = "expired"
    NOT_YOURS = "not_yours"
    PAUSED = "paused"
    ALREADY_PAUSED = "already_paused"
    RESUMED = "resumed"
    NOT_PAUSED = "not_paused"
    SKIPPED = "skipped"
    STOPPED = "stopped"
    STALE_STEP = "stale_step"
    WAITING = "waiting"
    SAVED = "saved"
    THANKS = "thanks"
    SKIPPED_TODAY = "skipped_today"
    MOVED = "moved"


@dataclass(frozen=True, slots=True)
class SnoozedUntil:
    """A reminder snoozed; ``when`` says when it comes back ("today 12:45")."""

    when: str | None


@dataclass(frozen=True, slots=True)
class ReminderSet:
    """A daily reminder was set: what the user is told."""

    at: time
    days: Weekdays
    #: The routine chosen with /remind, or None: it offers the one last finished (``fallback``
    #: until there is one).
    chosen: Routine | None
    fallback: Routine
    next_due: datetime | None
    now: datetime
    zone: ZoneInfo
    #: The default zone in use, to be said once (None: the user has one, or was told).
    zone_hint: str | None = None


#: A button's outcome: a notice, a snooze, or nothing worth a toast.
Toast = Notice | SnoozedUntil | None
