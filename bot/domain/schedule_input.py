"""Reading what users type for reminders: clock times, weekdays, pauses and nudge windows.

Each parser returns a value or raises :class:`InputError` whose message says, in a few words,
what was wrong; the handlers add examples. Nothing here touches storage or Telegram.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.schedule import DAY_NAMES, NudgeWindow, Weekdays, local_instant

MAX_PAUSE = timedelta(days=14)
NUDGE_MINUTES = (30, 180)
_MAX_INPUT = 80  # anything longer is not a time, and is not echoed back whole


class InputError(ValueError):
    """The user's input cannot be used; the message is safe and short to show them."""


_CLOCK = re.compile(
    r"(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?", re.IGNORECASE
)
_DAY_ALIASES = {
    **{name: index for index, name in enumerate(DAY_NAMES)},
    **{name: index for index, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
}
_DAY_SETS = {
    "daily": Weekdays(0b1111111),
    "everyday": Weekdays(0b1111111),
    "weekdays": Weekdays.workdays(),
    "workdays": Weekdays.workdays(),
    "weekends": Weekdays.of(5, 6),
    "weekend": Weekdays.of(5, 6),
}


def shown(text: str) -> str:
    """User input trimmed to a safe length for echoing back."""
    text = " ".join(text.split())
    return text if len(text) <= 24 else text[:23] + "…"


def parse_clock(text: str) -> time:
    """"12:30", "8:05", "12.30", "12:30pm", "7 am", "noon", "midnight" -> a local time."""
    cleaned = text.strip().lower()
    if cleaned == "noon":
        return time(12, 0)
    if cleaned == "midnight":
        return time(0, 0)
    match = _CLOCK.fullmatch(cleaned) if len(cleaned) <= 12 else None
    if match is None:
        raise InputError(f"“{shown(text)}” isn't a time I can read")
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    ampm = (match["ampm"] or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise InputError(f"“{shown(text)}”: with am/pm the hour goes from 1 to 12")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif match["minute"] is None:
        raise InputError(f"“{shown(text)}” needs minutes, like {hour}:00, or am/pm")
    if hour > 23 or minute > 59:
        raise InputError(f"“{shown(text)}” isn't a time of day (00:00 to 23:59)")
    return time(hour, minute)


def parse_days(text: str) -> Weekdays:
    """"mon-fri", "mon,wed,fri", "weekdays", "weekends", "daily", "fri-mon" -> weekdays."""
    cleaned = text.strip().lower().replace("every day", "daily")
    if cleaned in _DAY_SETS:
        return _DAY_SETS[cleaned]
    days: set[int] = set()
    for part in re.split(r"[,\s]+", cleaned):
        if not part:
            continue
        if "-" in part:
            first, _, last = part.partition("-")
            start, end = _day(first, text), _day(last, text)
            span = (end - start) % 7
            days.update((start + offset) % 7 for offset in range(span + 1))
        else:
            days.add(_day(part, text))
    if not days:
        raise InputError("no days given")
    return Weekdays.of(*days)


def _day(name: str, original: str) -> int:
    if name not in _DAY_ALIASES:
        raise InputError(f"“{shown(original)}” isn't a list of days like mon-fri or mon,wed,fri")
    return _DAY_ALIASES[name]


@dataclass(frozen=True, slots=True)
class RemindAt:
    at: time
    days: Weekdays
    #: The routine the reminder offers, as typed (a known id); None: the user's last one.
    routine_id: str | None = None


@dataclass(frozen=True, slots=True)
class TurnOff:
    pass


class UnknownRoutine(InputError):
    """A word after the time that is neither days nor a routine id we know."""

    def __init__(self, word: str, routine_ids: Sequence[str]) -> None:
        self.word = word
        message = f"“{shown(word)}” isn't a list of days or a routine I know"
        if routine_ids:
            message += f". My routines: {', '.join(routine_ids)} (/routines describes them)"
        super().__init__(message)


_ID_LIKE = re.compile(r"[a-z0-9][a-z0-9-]*")
_DAY_FILLERS = {"every", "day"}  # "every day" is days in two words


def parse_remind(args: list[str], routine_ids: Sequence[str] = ()) -> RemindAt | TurnOff:
    """`/remind` arguments: "12:30", "12:30 mon-fri", "7:15 am mon,wed", "off", and a routine
    id from ``routine_ids`` anywhere after the time: "12:30 desk-break", "8:05 wrists mon,wed".

    A word that is neither days nor a known routine raises :class:`UnknownRoutine` when it
    could be a routine id (the user probably meant one), else the usual days problem."""
    if not args:
        raise InputError("tell me a time")
    if len(args) == 1 and args[0].lower() in {"off", "stop", "none"}:
        return TurnOff()
    words = list(args)
    if len(words) >= 2 and re.fullmatch(r"[ap]\.?m\.?", words[1], re.IGNORECASE):
        words[0:2] = [words[0] + words[1]]
    at = parse_clock(words[0])
    known = {routine_id.lower(): routine_id for routine_id in routine_ids}
    chosen = [known[word.lower()] for word in words[1:] if word.lower() in known]
    if len(chosen) > 1:
        raise InputError("one routine per reminder, please")
    rest = [word for word in words[1:] if word.lower() not in known]
    try:
        days = parse_days(" ".join(rest)) if rest else Weekdays.workdays()
    except InputError:
        stray = next((word for word in rest if not _is_days(word)), None)
        if not chosen and stray is not None and _ID_LIKE.fullmatch(stray.lower()):
            raise UnknownRoutine(stray, routine_ids) from None
        raise
    return RemindAt(at, days, chosen[0] if chosen else None)


def _is_days(word: str) -> bool:
    if word.lower() in _DAY_FILLERS:
        return True
    try:
        parse_days(word)
    except InputError:
        return False
    return True


def parse_duration(text: str) -> timedelta:
    """"2h", "90m", "1h30m", "45 min", "2 hours" -> a duration."""
    cleaned = text.strip().lower().replace(" ", "")
    match = re.fullmatch(
        r"(?:(?P<h>\d{1,3})(?:h|hr|hrs|hour|hours))?(?:(?P<m>\d{1,4})(?:m|min|mins|minute|minutes)?)?",
        cleaned,
    )
    if not cleaned or match is None or (match["h"] is None and match["m"] is None):
        raise InputError(f"“{shown(text)}” isn't a length of time like 2h or 45m")
    return timedelta(hours=int(match["h"] or 0), minutes=int(match["m"] or 0))


@dataclass(frozen=True, slots=True)
class PauseUntil:
    until: datetime


def parse_pause(args: list[str], now: datetime, zone: ZoneInfo) -> PauseUntil | TurnOff:
    """`/pause` arguments: "2h", "45m", "until 15:30", "off"."""
    if not args:
        raise InputError("tell me for how long")
    if len(args) == 1 and args[0].lower() in {"off", "stop", "end", "resume"}:
        return TurnOff()
    if args[0].lower() == "until":
        at = parse_clock("".join(args[1:2]) + (args[2] if len(args) > 2 else ""))
        local_now = now.astimezone(zone)
        until = local_instant(local_now.date(), at, zone)
        if until <= now:
            until = local_instant(local_now.date() + timedelta(days=1), at, zone)
        return PauseUntil(until)
    length = parse_duration(" ".join(args))
    if length <= timedelta(0):
        raise InputError("a pause has to last at least a minute")
    if length > MAX_PAUSE:
        raise InputError("pauses go up to 14 days")
    return PauseUntil(now + length)


@dataclass(frozen=True, slots=True)
class NudgesOn:
    window: NudgeWindow
    days: Weekdays


def parse_nudges(args: list[str]) -> NudgesOn | TurnOff:
    """`/nudges` arguments: "9-17 every 60", "9:30-17:30 every 45 mon-thu", "off"."""
    if not args:
        raise InputError("tell me your work hours")
    if len(args) == 1 and args[0].lower() in {"off", "stop", "none"}:
        return TurnOff()
    hours, rest = args[0], [a.lower() for a in args[1:]]
    first, dash, last = hours.partition("-")
    if not dash:
        raise InputError(f"“{shown(hours)}” isn't a range of hours like 9-17")
    start, end = _hour_or_clock(first), _hour_or_clock(last)
    if end <= start:
        raise InputError("work hours must end after they start, on the same day")
    every = 60
    if rest and rest[0] == "every":
        if len(rest) < 2 or not re.fullmatch(r"\d{1,4}(m|min|mins|minutes)?", rest[1]):
            raise InputError("say how many minutes, like: every 60")
        every = int(re.match(r"\d+", rest[1])[0])  # type: ignore[index]
        rest = rest[2:]
        if rest and rest[0] in {"min", "mins", "minutes"}:
            rest = rest[1:]
    low, high = NUDGE_MINUTES
    if not low <= every <= high:
        raise InputError(f"nudges can come every {low} to {high} minutes")
    days = parse_days(" ".join(rest)) if rest else Weekdays.workdays()
    window = NudgeWindow(start, end, every)
    if not window.times():
        raise InputError(f"those hours are too short for a nudge every {every} minutes")
    return NudgesOn(window, days)


def _hour_or_clock(text: str) -> time:
    return time(int(text), 0) if re.fullmatch(r"\d{1,2}", text) and int(text) <= 23 else parse_clock(text)


def format_clock(at: time) -> str:
    return at.strftime("%H:%M")
