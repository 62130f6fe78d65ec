"""Parsing what users type for reminders, pauses and nudges."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.schedule import Weekdays
from bot.domain.schedule_input import (
    InputError,
    PauseUntil,
    RemindAt,
    TurnOff,
    UnknownRoutine,
    parse_clock,
    parse_days,
    parse_duration,
    parse_nudges,
    parse_pause,
    parse_remind,
)
from bot.domain.timezones import find_zone, suggest_zones, zone_at

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12:30", time(12, 30)), ("8:05", time(8, 5)), ("08:05", time(8, 5)), ("0:00", time(0, 0)),
        ("23:59", time(23, 59)), ("12.30", time(12, 30)), ("12:30pm", time(12, 30)),
        ("12:30 PM", time(12, 30)), ("12am", time(0, 0)), ("12pm", time(12, 0)), ("7am", time(7, 0)),
        ("7:15 p.m.", time(19, 15)), ("noon", time(12, 0)), ("midnight", time(0, 0)),
    ],
)
def test_clock_times(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("25:99", "isn't a time of day"), ("24:00", "isn't a time of day"), ("12:60", "isn't a time of day"),
        ("noon-ish", "isn't a time I can read"), ("abc", "isn't a time I can read"), ("", "isn't a time"),
        ("13pm", "from 1 to 12"), ("12", "needs minutes"), ("🕐", "isn't a time"), ("1" * 500, "isn't a time"),
    ],
)
def test_bad_clock_times_say_why(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_clock(text)


def test_a_huge_input_is_not_echoed_whole() -> None:
    with pytest.raises(InputError) as error:
        parse_clock("9" * 5000)
    assert len(str(error.value)) < 80


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", (0, 1, 2, 3, 4)), ("mon,wed,fri", (0, 2, 4)), ("Mon Wed Fri", (0, 2, 4)),
        ("weekdays", (0, 1, 2, 3, 4)), ("weekends", (5, 6)), ("daily", tuple(range(7))),
        ("every day", tuple(range(7))), ("fri-mon", (4, 5, 6, 0)), ("tuesday,thursday", (1, 3)),
        ("sat", (5,)),
    ],
)
def test_days(text: str, days: tuple[int, ...]) -> None:
    assert parse_days(text) == Weekdays.of(*days)


@pytest.mark.parametrize("text", ["someday", "mon-funday", "1-5", "mon;fri"])
def test_bad_days(text: str) -> None:
    with pytest.raises(InputError, match="list of days"):
        parse_days(text)


def test_a_trailing_comma_in_days_is_forgiven() -> None:
    assert parse_days("monday,") == Weekdays.of(0)


def test_remind_arguments() -> None:
    assert parse_remind(["12:30"]) == RemindAt(time(12, 30), Weekdays.workdays())
    assert parse_remind(["12:30", "mon-fri"]) == RemindAt(time(12, 30), Weekdays.workdays())
    assert parse_remind(["8:05", "mon,wed,fri"]) == RemindAt(time(8, 5), Weekdays.of(0, 2, 4))
    assert parse_remind(["7:15", "pm", "sat"]) == RemindAt(time(19, 15), Weekdays.of(5))
    assert parse_remind(["off"]) == TurnOff()
    with pytest.raises(InputError, match="tell me a time"):
        parse_remind([])
    with pytest.raises(InputError):
        parse_remind(["25:99"])


ROUTINE_IDS = ("hamstrings", "desk-break", "neck-shoulders", "wrists")
WEEKDAYS = Weekdays.workdays()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["12:30", "desk-break"], RemindAt(time(12, 30), WEEKDAYS, "desk-break")),
        (["8:05", "mon,wed,fri", "wrists"], RemindAt(time(8, 5), Weekdays.of(0, 2, 4), "wrists")),
        (["8:05", "wrists", "mon,wed,fri"], RemindAt(time(8, 5), Weekdays.of(0, 2, 4), "wrists")),
        (["12:30pm", "mon-fri", "neck-shoulders"], RemindAt(time(12, 30), WEEKDAYS, "neck-shoulders")),
        (["12:30", "pm", "Desk-Break"], RemindAt(time(12, 30), WEEKDAYS, "desk-break")),
        (["7:15", "mon", "wrists", "wed"], RemindAt(time(7, 15), Weekdays.of(0, 2), "wrists")),
        (["7:15", "every", "day", "wrists"], RemindAt(time(7, 15), Weekdays(0b1111111), "wrists")),
        (["noon", "weekends", "hamstrings"], RemindAt(time(12, 0), Weekdays.of(5, 6), "hamstrings")),
        (["12:30", "mon-fri"], RemindAt(time(12, 30), WEEKDAYS, None)),
        (["12:30"], RemindAt(time(12, 30), WEEKDAYS, None)),
    ],
)
def test_remind_with_a_routine(args: list[str], expected: RemindAt) -> None:
    assert parse_remind(args, ROUTINE_IDS) == expected


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["12:30", "yoga"], "yoga"),
        (["12:30", "mon-fri", "desk-brake"], "desk-brake"),
        (["12:30", "desk_break"], None),  # not shaped like an id: the days problem instead
        (["8:05", "mon,wed,fri", "Neck"], "Neck"),
        (["9:00", "someday"], "someday"),
    ],
)
def test_an_unknown_routine_word_names_the_routines(args: list[str], word: str | None) -> None:
    with pytest.raises(InputError) as error:
        parse_remind(args, ROUTINE_IDS)
    if word is None:
        assert not isinstance(error.value, UnknownRoutine)
        assert "list of days" in str(error.value)
        return
    assert isinstance(error.value, UnknownRoutine) and error.value.word == word
    message = str(error.value)
    assert f"“{word}” isn't a list of days or a routine I know" in message
    assert "hamstrings, desk-break, neck-shoulders, wrists" in message and "/routines" in message


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["12:30", "desk-break", "wrists"], "one routine per reminder"),
        (["12:30", "wrists", "someday"], "list of days"),  # a routine given: the rest must be days
        (["12:30", "mon;fri", "wrists"], "list of days"),
        (["desk-break"], "isn't a time I can read"),
        (["desk-break", "12:30"], "isn't a time I can read"),
    ],
)
def test_bad_remind_arguments_with_routines(args: list[str], reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_remind(args, ROUTINE_IDS)


def test_without_known_routines_a_routine_word_is_unknown() -> None:
    with pytest.raises(UnknownRoutine) as error:
        parse_remind(["12:30", "desk-break"])
    assert str(error.value) == "“desk-break” isn't a list of days or a routine I know"


def test_durations() -> None:
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("45 min") == timedelta(minutes=45)
    assert parse_duration("2 hours") == timedelta(hours=2)
    for bad in ["", "h", "soon", "-2h", "2d"]:
        with pytest.raises(InputError):
            parse_duration(bad)


def test_pause_arguments() -> None:
    now = datetime(2026, 3, 2, 13, 0, tzinfo=BERLIN)
    assert parse_pause(["2h"], now, BERLIN) == PauseUntil(now + timedelta(hours=2))
    assert parse_pause(["until", "15:30"], now, BERLIN) == PauseUntil(datetime(2026, 3, 2, 15, 30, tzinfo=BERLIN))
    assert parse_pause(["until", "3:30", "pm"], now, BERLIN) == PauseUntil(datetime(2026, 3, 2, 15, 30, tzinfo=BERLIN))
    # A time already past today means tomorrow.
    assert parse_pause(["until", "9:00"], now, BERLIN) == PauseUntil(datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN))
    assert parse_pause(["off"], now, BERLIN) == TurnOff()
    for bad in ([], ["0m"], ["30d"], ["999h"], ["until", "25:99"], ["forever"]):
        with pytest.raises(InputError):
            parse_pause(bad, now, BERLIN)


def test_nudge_arguments() -> None:
    on = parse_nudges(["9-17", "every", "60"])
    assert not isinstance(on, TurnOff)
    assert (on.window.start, on.window.end, on.window.every_minutes) == (time(9), time(17), 60)
    assert on.days == Weekdays.workdays()
    custom = parse_nudges(["9:30-17:30", "every", "45", "mon-thu"])
    assert not isinstance(custom, TurnOff)
    assert custom.window.start == time(9, 30) and custom.window.every_minutes == 45
    assert custom.days == Weekdays.of(0, 1, 2, 3)
    assert parse_nudges(["off"]) == TurnOff()
    for bad, reason in [
        (["17-9"], "end after they start"), (["9-17", "every", "5"], "every 30 to 180"),
        (["9-17", "every", "500"], "every 30 to 180"), (["nine-five"], "isn't a time"),
        (["9to5"], "range of hours"), (["9-17", "every"], "how many minutes"), ([], "work hours"),
        (["9-10", "every", "90"], "too short"),
    ]:
        with pytest.raises(InputError, match=reason):
            parse_nudges(bad)


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"), ("europe/berlin", "Europe/Berlin"), ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"), ("New_York", "America/New_York"), ("Munich", "Europe/Berlin"),
        ("san francisco", "America/Los_Angeles"), ("UTC", "UTC"), ("  Tokyo ", "Asia/Tokyo"),
        ("Kolkata", "Asia/Kolkata"), ("Bangalore", "Asia/Kolkata"),
    ],
)
def test_zone_names_and_cities(text: str, zone: str) -> None:
    assert find_zone(text) == zone


def test_unknown_zones_get_suggestions() -> None:
    assert find_zone("Berlinn") is None
    assert "Europe/Berlin" in suggest_zones("Berlinn")
    assert find_zone("Atlantis") is None
    assert find_zone("x" * 1000) is None


def test_a_shared_location_finds_its_zone_offline() -> None:
    assert zone_at(52.52, 13.405) == "Europe/Berlin"
    assert zone_at(40.71, -74.0) == "America/New_York"
    assert zone_at(95.0, 0.0) is None
