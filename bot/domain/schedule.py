"""Reminder arithmetic: when is the next reminder or nudge, and should this one go out?

Pure functions over aware datetimes. Schedules are kept in local wall-clock time and turned
into UTC instants one occurrence at a time with ``zoneinfo``, so 09:00 stays 09:00 across
daylight-saving changes. Each occurrence has a key naming its local date and time of day;
the store refuses a second delivery with the same key, so a fall-back day's repeated hour, a
restart or two overlapping sweeps can never send one occurrence twice.

Spring-forward gaps: a local time that does not exist that day (02:30 in Berlin on the last
Sunday of March) is sent at the same moment a clock would show after springing forward (03:30).
Fall-back overlaps: the first of the two 02:30s is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

#: A reminder that fell due while the bot was down is still sent if it is at most this late.
LATE_LIMIT = timedelta(minutes=30)
#: Lateness worth mentioning to the user (normal sweeps are a few seconds late).
MENTION_LATE_AFTER = timedelta(minutes=2)
#: How far ahead to look for the next occurrence before giving up (no days selected, etc.).
_SEARCH_DAYS = 15



class Kind(StrEnum):
    DAILY = "daily"
    NUDGE = "nudge"
    SNOOZE = "snooze"


@dataclass(frozen=True, slots=True)
class Weekdays:
    """A set of weekdays as a bit mask: Monday is bit 0 ... Sunday bit 6 (Python's weekday())."""

    mask: int

    WORKDAYS_MASK = 0b0011111

    @classmethod
    def of(cls, *days: int) -> Weekdays:
        mask = 0
        for day in days:
            mask |= 1 << day
        return cls(mask)

    @classmethod
    def workdays(cls) -> Weekdays:
        return cls(cls.WORKDAYS_MASK)

    def __contains__(self, weekday: int) -> bool:
        return bool(self.mask & (1 << weekday))

    def __bool__(self) -> bool:
        return bool(self.mask & 0b1111111)


#: The default days of a schedule (frozen, so one shared instance is safe as a dataclass default).
_WORKDAYS = Weekdays.workdays()


@dataclass(frozen=True, slots=True)
class NudgeWindow:
    """Work hours for movement nudges: every ``every_minutes`` from ``start`` until ``end``."""

    start: time
    end: time
    every_minutes: int

    def times(self) -> list[time]:
        """The local times a nudge is due on a working day: start + N, start + 2N, ... < end."""
        result = []
        minute = _minutes(self.start) + self.every_minutes
        while minute < _minutes(self.end):
            result.append(time(minute // 60, minute % 60))
            minute += self.every_minutes
        return result


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant a wall clock in ``zone`` shows ``at`` on ``day`` (see module notes)."""
    wall = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first of a repeated hour
    instant = wall.astimezone(UTC)
    # In a spring-forward gap, fold=0 resolves with the offset from before the change, which
    # lands an hour after the gap: 02:30 becomes 03:30 local. That is the behaviour we want.
    return instant


def next_daily(after: datetime, at: time, days: Weekdays, zone: ZoneInfo) -> datetime | None:
    """The first daily occurrence strictly after ``after``, or None if no day is selected."""
    return _next_matching(after, days, zone, [at])


def next_unsent_daily(
    after: datetime, at: time, days: Weekdays, zone: ZoneInfo, last_key: str | None
) -> datetime | None:
    """Like :func:`next_daily`, but never an occurrence that already went out (a reminder
    re-set in a spring-forward hour, or a zone change that moves today's time, means tomorrow)."""
    upcoming = next_daily(after, at, days, zone)
    if upcoming is not None and occurrence_key(Kind.DAILY, upcoming, zone, at) == last_key:
        upcoming = next_daily(upcoming, at, days, zone)
    return upcoming


def next_nudge(after: datetime, window: NudgeWindow, days: Weekdays, zone: ZoneInfo) -> datetime | None:
    return _next_matching(after, days, zone, window.times())


def _next_matching(after: datetime, days: Weekdays, zone: ZoneInfo, times: list[time]) -> datetime | None:
    if not days or not times:
        return None
    start_day = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = start_day + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        for at in times:
            instant = local_instant(day, at, zone)
            if instant > after:
                return instant
    return None


def occurrence_key(kind: Kind, due: datetime, zone: ZoneInfo, at: time | None = None, slot: str = "") -> str:
    """Names one occurrence: a daily reminder by local date and the time it is set for (a
    user can have several a day; a spring-forward day's 02:30 is still "02:30"), a nudge by
    local date and time, a snooze by the reminder it postpones (``slot``) and its UTC instant
    (two reminders snoozed to the same second are two occurrences)."""
    local = due.astimezone(zone)
    if kind is Kind.DAILY:
        assert at is not None, "a daily occurrence is named by its set time"
        return f"daily:{local.date().isoformat()}T{at.strftime('%H:%M')}"
    if kind is Kind.NUDGE:
        return f"nudge:{local.strftime('%Y-%m-%dT%H:%M')}"
    instant = due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"snooze:{slot}@{instant}" if slot else f"snooze:{instant}"


class Skip(StrEnum):
    """Why a due occurrence is not sent."""

    TOO_LATE = "too_late"
    PAUSED = "paused"
    ALREADY_STRETCHED = "already_stretched"
    RECENTLY_MOVED = "recently_moved"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class DueSchedule:
    """A schedule row that has fallen due, with what the decision needs about its user."""

    user_id: int
    chat_id: int
    kind: Kind
    due_at: datetime
    zone: ZoneInfo
    at: time | None = None
    days: Weekdays = _WORKDAYS
    window: NudgeWindow | None = None
    last_key: str | None = None
    paused_until: datetime | None = None
    last_finished_at: datetime | None = None
    #: The latest of: a session started or finished, or "I already moved".
    last_active_at: datetime | None = None
    #: For a daily reminder: the user's other daily reminders (time and days), which say
    #: whether this is their first of the day (see :func:`_stretched_since`).
    others: tuple[tuple[time, Weekdays], ...] = ()
    #: Which of the user's schedules of its kind this is (a snooze: the reminder it postpones).
    slot: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    key: str
    send: bool
    skip: Skip | None
    late_by: timedelta
    #: When this schedule is next due (None: nothing more, e.g. a snooze that went out).
    next_due_at: datetime | None


def decide(due: DueSchedule, now: datetime) -> Decision:
    """Whether the occurrence at ``due.due_at`` goes out, and when the schedule is next due."""
    key = occurrence_key(due.kind, due.due_at, due.zone, due.at, due.slot)
    late_by = max(timedelta(0), now - due.due_at)
    skip = _reason_to_skip(due, key, late_by)
    return Decision(key, skip is None, skip, late_by, next_due_after(due, now))


def next_due_after(due: DueSchedule, now: datetime) -> datetime | None:
    """The occurrence after this one. Occurrences already too late to send are jumped over."""
    if due.kind is Kind.SNOOZE:
        return None
    after = max(due.due_at, now - LATE_LIMIT)
    if due.kind is Kind.DAILY:
        assert due.at is not None
        return next_daily(after, due.at, due.days, due.zone)
    assert due.window is not None
    return next_nudge(after, due.window, due.days, due.zone)


def _reason_to_skip(due: DueSchedule, key: str, late_by: timedelta) -> Skip | None:
    if key == due.last_key:
        return Skip.DUPLICATE
    if late_by > LATE_LIMIT:
        return Skip.TOO_LATE
    if due.paused_until is not None and due.paused_until > due.due_at:
        return Skip.PAUSED
    if due.kind is Kind.DAILY and due.last_finished_at is not None and _stretched_since(due):
        return Skip.ALREADY_STRETCHED
    if (
        due.kind is Kind.NUDGE
        and due.window is not None
        and due.last_active_at is not None
        and due.due_at - due.last_active_at < timedelta(minutes=due.window.every_minutes)
    ):
        return Skip.RECENTLY_MOVED
    return None


def _stretched_since(due: DueSchedule) -> bool:
    """Whether a routine already answers this reminder. The first reminder of the day: any
    routine finished that day. A later one: a routine finished in the second half of the time
    since the previous reminder. With reminders at 10:30 and 15:00, the routine started from
    the 10:30 one and finished at 10:45 leaves the 15:00 one due; one finished at 14:00 answers
    it; one at 09:00 answers only the 10:30 one."""
    assert due.last_finished_at is not None
    finished = due.last_finished_at.astimezone(due.zone)
    due_day = due.due_at.astimezone(due.zone).date()
    if finished.date() != due_day:
        return False
    since = previous_reminder(due.at, due_day.weekday(), due.others)
    if since is None:
        return True
    previous = local_instant(due_day, since, due.zone)
    return due.last_finished_at >= previous + (due.due_at - previous) / 2


def previous_reminder(at: time | None, weekday: int, others: tuple[tuple[time, Weekdays], ...]) -> time | None:
    """The latest of the user's other daily reminders before ``at`` on that weekday (one that
    does not run that day does not count), or None: ``at`` is the first of the day."""
    earlier = [time_ for time_, days in others if weekday in days and at is not None and time_ < at]
    return max(earlier, default=None)


def end_of_local_day(now: datetime, zone: ZoneInfo) -> datetime:
    """The next local midnight, as a UTC instant."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return local_instant(tomorrow, time(0, 0), zone)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute
