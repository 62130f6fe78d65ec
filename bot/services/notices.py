"""What the services' answers came to, as data: the handlers show them to the user in their
words (a button press as the short toast over the chat, see ``texts.toast``; a command as a reply)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.reach import Doubt, Measurement, Progress, Reach
from bot.domain.routines import Routine
from bot.domain.schedule import Kind, NudgeWindow, Weekdays


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
    """A reminder snoozed until ``until`` (shown in ``zone``, relative to ``now``)."""

    until: datetime
    now: datetime
    zone: ZoneInfo


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
    #: The user's other daily reminder times, earliest first.
    others: tuple[time, ...] = ()
    #: A reminder at this time existed: its days or routine changed.
    changed: bool = False


@dataclass(frozen=True, slots=True)
class TooManyReminders:
    """A new daily reminder refused: the user has as many as one can have."""

    times: tuple[time, ...]


@dataclass(frozen=True, slots=True)
class NudgesSet:
    window: NudgeWindow
    days: Weekdays
    next_due: datetime | None
    now: datetime
    zone: ZoneInfo
    zone_hint: str | None = None


@dataclass(frozen=True, slots=True)
class TurnedOff:
    """``/remind off`` (every daily reminder, and a snooze) or ``/nudges off``; ``count``: how
    many schedules there were to turn off."""

    kind: Kind
    count: int


@dataclass(frozen=True, slots=True)
class DailyEntry:
    at: time
    days: Weekdays
    next_due: datetime | None
    #: The routine it offers (None: the one the user last finished).
    routine: Routine | None


@dataclass(frozen=True, slots=True)
class NudgeEntry:
    window: NudgeWindow
    days: Weekdays
    next_due: datetime | None


@dataclass(frozen=True, slots=True)
class SnoozeEntry:
    next_due: datetime | None
    #: What comes back: the daily reminder set for this time, or (None) the nudge, or a
    #: reminder snoozed before reminders were told apart (``nudge`` False, no time).
    reminder_at: time | None = None
    nudge: bool = False


@dataclass(frozen=True, slots=True)
class Overview:
    """What /reminders shows: each schedule, the zone, a pause."""

    dailies: tuple[DailyEntry, ...]
    nudges: NudgeEntry | None
    snoozes: tuple[SnoozeEntry, ...]
    zone_name: str
    zone_is_default: bool
    paused_until: datetime | None
    now: datetime
    #: Whether another daily reminder can be added.
    room: bool = True

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)

    @property
    def empty(self) -> bool:
        return not self.dailies and self.nudges is None and not self.snoozes


@dataclass(frozen=True, slots=True)
class TimezoneSet:
    zone: str
    local_now: time
    has_reminders: bool


@dataclass(frozen=True, slots=True)
class Paused:
    until: datetime
    now: datetime
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class Resumed:
    was_paused: bool


@dataclass(frozen=True, slots=True)
class ReachLogged:
    """/reach stored a value; ``doubt``: it is far from the recent ones, so it is asked about
    (``measurement_id`` names it for the answer buttons)."""

    reach: Reach
    doubt: Doubt | None = None
    measurement_id: int | None = None


@dataclass(frozen=True, slots=True)
class ProgressView:
    """/progress: the numbers, and the measurements a chart is drawn from."""

    report: Progress
    measurements: list[Measurement]
    zone: ZoneInfo

    @property
    def chartable(self) -> bool:
        return any(m.reach.cm is not None for m in self.measurements)


@dataclass(frozen=True, slots=True)
class HistoryView:
    """/history: the last measurements (of ``total``), and the last check-ins as (ended at,
    routine id, feeling)."""

    measurements: list[Measurement]
    total: int
    zone: ZoneInfo
    check_ins: list[tuple[datetime, str, str]]


#: A button's outcome: a notice, a snooze, or nothing worth a toast.
Toast = Notice | SnoozedUntil | None
