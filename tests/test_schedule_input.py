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
        # A bare hour is on the 24-hour clock (issue 10; "12" used to ask for minutes).
        ("12", time(12, 0)), ("9", time(9, 0)), ("0", time(0, 0)), ("21", time(21, 0)),
        ("9am", time(9, 0)), ("9 am", time(9, 0)), ("9:30 pm", time(21, 30)), ("21h", time(21, 0)),
        ("21h30", time(21, 30)), ("9.30", time(9, 30)), ("9 Uhr", time(9, 0)), ("9:30 Uhr", time(9, 30)),
        ("21:30h", time(21, 30)), ("9 o'clock", time(9, 0)), ("9ч", time(9, 0)), ("12 a.m.", time(0, 0)),
        ("Mittag", time(12, 0)), ("mediodía", time(12, 0)), ("meia-noite", time(0, 0)), ("полночь", time(0, 0)),
    ],
)
def test_clock_times(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("25:99", "isn't a time of day"), ("24:00", "isn't a time of day"), ("12:60", "isn't a time of day"),
        ("noon-ish", "isn't a time I can read"), ("abc", "isn't a time I can read"), ("", "isn't a time"),
        ("13pm", "from 1 to 12"), ("0am", "from 1 to 12"), ("24", "isn't a time of day"),
        ("9:5", "isn't a time I can read"), ("123", "isn't a time I can read"), ("21h60", "isn't a time of day"),
        ("🕐", "isn't a time"), ("1" * 500, "isn't a time"),
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
        (["desk-break", "12:30"], RemindAt(time(12, 30), WEEKDAYS, "desk-break")),
        (["wrists", "every", "day", "at", "9"], RemindAt(time(9, 0), Weekdays(0b1111111), "wrists")),
        (["Mo-Fr", "um", "9", "Uhr", "hamstrings"], RemindAt(time(9, 0), WEEKDAYS, "hamstrings")),
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
        # (["desk-break", "12:30"] is read since issue 10: the time may come anywhere.)
        (["desk-break", "12:30", "25:00"], "isn't a list of days"),
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
    for off in ("off", "aus", "apagar", "desligar", "выкл"):
        assert parse_nudges([off]) == TurnOff()
    for bad, reason in [
        (["17-9"], "end after they start"), (["9-17", "every", "5"], "every 30 to 180"),
        (["9-17", "every", "500"], "every 30 to 180"), (["nine-five"], "isn't a time"),
        (["9to5"], "range of hours"), (["9-17", "every"], "how many minutes"), ([], "work hours"),
        (["9-10", "every", "90"], "too short"),
    ]:
        with pytest.raises(InputError, match=reason):
            parse_nudges(bad)


# -- natural times (issue 10) --------------------------------------------------------------------

EVERY_DAY = Weekdays(0b1111111)
WEEKENDS = Weekdays.of(5, 6)
MWF = Weekdays.of(0, 2, 4)


@pytest.mark.parametrize(
    ("typed", "at", "days"),
    [
        # English
        ("9", time(9), WEEKDAYS), ("9am", time(9), WEEKDAYS), ("9 am", time(9), WEEKDAYS),
        ("9 AM", time(9), WEEKDAYS), ("9:30 pm", time(21, 30), WEEKDAYS), ("21h", time(21), WEEKDAYS),
        ("21h30", time(21, 30), WEEKDAYS), ("9.30", time(9, 30), WEEKDAYS), ("12am", time(0), WEEKDAYS),
        ("12pm", time(12), WEEKDAYS), ("12 am daily", time(0), EVERY_DAY),
        ("weekdays 9:00", time(9), WEEKDAYS), ("every day at 9", time(9), EVERY_DAY),
        ("daily 9", time(9), EVERY_DAY), ("mon wed fri 8", time(8), MWF), ("8 mon wed fri", time(8), MWF),
        ("weekends 10", time(10), WEEKENDS), ("at 7 on weekends", time(7), WEEKENDS),
        ("every monday at 6:45", time(6, 45), Weekdays.of(0)),
        ("mondays and thursdays 18", time(18), Weekdays.of(0, 3)),
        ("mon to thu 8", time(8), Weekdays.of(0, 1, 2, 3)), ("9 in the evening", time(21), WEEKDAYS),
        ("12:30 mon-fri", time(12, 30), WEEKDAYS), ("7:15 am mon,wed", time(7, 15), Weekdays.of(0, 2)),
        ("7:15 am mon, wed", time(7, 15), Weekdays.of(0, 2)), ("noon sat", time(12), Weekdays.of(5)),
        ("12:30 fri–mon", time(12, 30), Weekdays.of(4, 5, 6, 0)),
        # German
        ("Mo Mi Fr 8", time(8), MWF), ("Mo., Mi., Fr. 8", time(8), MWF), ("Montag Mittwoch Freitag 8", time(8), MWF),
        ("täglich um 9", time(9), EVERY_DAY), ("taeglich 9", time(9), EVERY_DAY), ("taglich 9", time(9), EVERY_DAY),
        ("jeden Tag um 9", time(9), EVERY_DAY), ("werktags 9", time(9), WEEKDAYS), ("um 9", time(9), WEEKDAYS),
        ("9 Uhr", time(9), WEEKDAYS), ("um 9 Uhr", time(9), WEEKDAYS), ("um 21:30 Uhr", time(21, 30), WEEKDAYS),
        ("Mo-Fr 7:30", time(7, 30), WEEKDAYS), ("von Montag bis Donnerstag um 8", time(8), Weekdays.of(0, 1, 2, 3)),
        ("am Wochenende um 10", time(10), WEEKENDS), ("Sa So 10", time(10), WEEKENDS),
        ("Di Do 18 Uhr", time(18), Weekdays.of(1, 3)), ("21 am Montag", time(21), Weekdays.of(0)),
        ("8 Uhr abends", time(20), WEEKDAYS), ("7 Uhr morgens", time(7), WEEKDAYS),
        # Spanish
        ("lun mié vie 8", time(8), MWF), ("lun mie vie 8", time(8), MWF), ("lunes miércoles viernes 8", time(8), MWF),
        ("todos los días a las 9", time(9), EVERY_DAY), ("todos los dias a las 9", time(9), EVERY_DAY),
        ("entre semana a las 9", time(9), WEEKDAYS), ("a las 9", time(9), WEEKDAYS),
        ("a las 9 de la noche", time(21), WEEKDAYS), ("a las 8 de la mañana", time(8), WEEKDAYS),
        ("a las 4 de la tarde", time(16), WEEKDAYS), ("de lunes a viernes a las 8", time(8), WEEKDAYS),
        ("lun-vie 8", time(8), WEEKDAYS), ("sáb dom 10", time(10), WEEKENDS), ("sab dom 10", time(10), WEEKENDS),
        ("fines de semana a las 10", time(10), WEEKENDS), ("mar jue 19:30", time(19, 30), Weekdays.of(1, 3)),
        # Brazilian Portuguese
        ("seg qua sex 8", time(8), MWF), ("segunda quarta sexta 8", time(8), MWF),
        ("segunda-feira, quarta-feira 8h", time(8), Weekdays.of(0, 2)), ("todo dia às 9", time(9), EVERY_DAY),
        ("todos os dias às 9", time(9), EVERY_DAY), ("dias úteis às 9", time(9), WEEKDAYS),
        ("dias uteis as 9", time(9), WEEKDAYS), ("às 9", time(9), WEEKDAYS), ("às 21h", time(21), WEEKDAYS),
        ("de segunda a sexta às 8", time(8), WEEKDAYS), ("seg-sex 8", time(8), WEEKDAYS),
        ("sáb dom 10", time(10), WEEKENDS), ("fim de semana 10h", time(10), WEEKENDS),
        ("ter qui 7 da noite", time(19), Weekdays.of(1, 3)),
        # Russian
        ("пн ср пт 8", time(8), MWF), ("понедельник среда пятница 8", time(8), MWF),
        ("по понедельникам и средам в 8", time(8), Weekdays.of(0, 2)), ("каждый день в 9", time(9), EVERY_DAY),
        ("ежедневно в 9", time(9), EVERY_DAY), ("по будням в 9", time(9), WEEKDAYS), ("в 9", time(9), WEEKDAYS),
        ("в 9 вечера", time(21), WEEKDAYS), ("в 7 утра", time(7), WEEKDAYS), ("в 2 ночи", time(2), WEEKDAYS),
        ("с понедельника по пятницу в 7:30", time(7, 30), WEEKDAYS), ("пн-пт 9", time(9), WEEKDAYS),
        ("по выходным в 10", time(10), WEEKENDS), ("сб вс 10", time(10), WEEKENDS),
        ("вт чт 18:00", time(18), Weekdays.of(1, 3)),
        ("в 9 часов", time(9), WEEKDAYS),
    ],
)
def test_remind_in_natural_words(typed: str, at: time, days: Weekdays) -> None:
    assert parse_remind(typed.split(), ROUTINE_IDS) == RemindAt(at, days)


@pytest.mark.parametrize("word", ["off", "OFF", "stop", "none", "aus", "desactivar", "desligar", "выкл"])
def test_remind_off_in_each_language(word: str) -> None:
    assert parse_remind([word]) == TurnOff()


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("24", "isn't a time of day"), ("9:75", "isn't a time of day"), ("13pm", "from 1 to 12"),
        ("0 am", "from 1 to 12"), ("25 Uhr", "isn't a time of day"), ("9 10", "one time per reminder"),
        ("9:00 21:00 daily", "one time per reminder"), ("weekdays", "a time as well as the days"),
        ("every day", "a time as well as the days"), ("jeden Tag", "a time as well as the days"),
        ("at", "isn't a time I can read"), ("someday", "isn't a time I can read"),
        ("9 day", "isn't a list of days or a routine"), ("9 funday", "isn't a list of days or a routine"),
        ("9 mon;fri", "list of days"), ("9 mon-funday", "isn't a list of days"),
        ("13 de la mañana", "isn't a morning time"), ("9 утра вечера", "morning or evening"),
        ("9" * 300, "isn't a time I can read"),
    ],
)
def test_natural_times_still_reject_nonsense(typed: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_remind(typed.split())


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Mo-Fr", (0, 1, 2, 3, 4)), ("Sa, So", (5, 6)), ("lun,mié,vie", (0, 2, 4)), ("seg a sex", (0, 1, 2, 3, 4)),
        ("пн,ср,пт", (0, 2, 4)), ("по будням", (0, 1, 2, 3, 4)), ("todos los días", tuple(range(7))),
        ("fim de semana", (5, 6)), ("вт-чт", (1, 2, 3)), ("quinta-feira", (3,)),
    ],
)
def test_days_in_each_language(text: str, days: tuple[int, ...]) -> None:
    assert parse_days(text) == Weekdays.of(*days)


def test_nudges_take_days_in_any_language() -> None:
    on = parse_nudges(["9-17", "every", "60", "Mo-Do"])
    assert not isinstance(on, TurnOff) and on.days == Weekdays.of(0, 1, 2, 3)


@pytest.mark.parametrize(
    "typed",
    ["9-17 every 45", "9-17 alle 45 Minuten", "9-17 cada 45", "9-17 a cada 45 minutos", "9-17 каждые 45 минут",
     "9-17 раз в 45 минут", "9-17 cada 45 lun-vie", "9-17 alle 45 Mo-Fr"],
)
def test_how_often_nudges_come_is_read_in_every_language(typed: str) -> None:
    on = parse_nudges(typed.split())
    assert not isinstance(on, TurnOff)
    assert on.window.every_minutes == 45 and on.days == Weekdays.workdays()


#: A Friday afternoon in Berlin; clocks go forward (CET -> CEST) on Sunday 29 March 2026.
FRIDAY = datetime(2026, 3, 27, 13, 0, tzinfo=BERLIN)


def berlin(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("typed", "until"),
    [
        # English
        ("tomorrow", berlin(28)), ("until tomorrow", berlin(28)), ("until tomorrow 9am", berlin(28, 9)),
        ("until monday", berlin(30)), ("until Monday", berlin(30)), ("until mon", berlin(30)),
        ("until next monday", berlin(30)), ("until monday 9:00", berlin(30, 9)), ("until sunday 10", berlin(29, 10)),
        ("until friday", datetime(2026, 4, 3, 0, 0, tzinfo=BERLIN)),  # today is Friday: the next one
        ("until friday 18:00", berlin(27, 18)),  # today, still ahead
        ("until 15:30", berlin(27, 15, 30)), ("until 3:30 pm", berlin(27, 15, 30)), ("until 9", berlin(28, 9)),
        ("until 9:00", berlin(28, 9)), ("till 14h", berlin(27, 14)),
        ("1h30", berlin(27, 14, 30)), ("1h30m", berlin(27, 14, 30)), ("90m", berlin(27, 14, 30)),
        ("2 hours", berlin(27, 15)), ("45 min", berlin(27, 13, 45)), ("for 2 hours", berlin(27, 15)),
        ("1 hour 30 minutes", berlin(27, 14, 30)), ("1 hour and 30 minutes", berlin(27, 14, 30)),
        ("half an hour", berlin(27, 13, 30)), ("1.5h", berlin(27, 14, 30)),
        # German
        ("morgen", berlin(28)), ("bis morgen", berlin(28)), ("bis Montag", berlin(30)), ("bis zum Montag", berlin(30)),
        ("bis 15:30", berlin(27, 15, 30)), ("bis 15 Uhr", berlin(27, 15)), ("bis Montag um 9 Uhr", berlin(30, 9)),
        ("2 Stunden", berlin(27, 15)), ("für 45 Minuten", berlin(27, 13, 45)), ("1,5 Std.", berlin(27, 14, 30)),
        ("eine halbe Stunde", berlin(27, 13, 30)), ("1 Stunde und 30 Minuten", berlin(27, 14, 30)),
        # Spanish
        ("mañana", berlin(28)), ("manana", berlin(28)), ("hasta mañana", berlin(28)), ("hasta el lunes", berlin(30)),
        ("hasta las 15:30", berlin(27, 15, 30)), ("hasta las 4 de la tarde", berlin(27, 16)),
        ("2 horas", berlin(27, 15)), ("45 minutos", berlin(27, 13, 45)), ("media hora", berlin(27, 13, 30)),
        # Brazilian Portuguese
        ("amanhã", berlin(28)), ("amanha", berlin(28)), ("até amanhã", berlin(28)), ("até segunda", berlin(30)),
        ("ate segunda-feira", berlin(30)), ("até às 15h", berlin(27, 15)), ("até as 15:30", berlin(27, 15, 30)),
        ("por 2 horas", berlin(27, 15)), ("meia hora", berlin(27, 13, 30)),
        # Russian
        ("завтра", berlin(28)), ("до завтра", berlin(28)), ("до понедельника", berlin(30)),
        ("до воскресенья", berlin(29)), ("до 15:30", berlin(27, 15, 30)), ("на 2 часа", berlin(27, 15)),
        ("45 мин", berlin(27, 13, 45)), ("полчаса", berlin(27, 13, 30)), ("1 час 30 минут", berlin(27, 14, 30)),
    ],
)
def test_pause_in_natural_words(typed: str, until: datetime) -> None:
    assert parse_pause(typed.split(), FRIDAY, BERLIN) == PauseUntil(until)


def test_until_monday_is_local_midnight_across_the_clock_change() -> None:
    result = parse_pause(["until", "monday"], FRIDAY, BERLIN)
    assert isinstance(result, PauseUntil)
    # Monday 00:00 in summer time is 22:00 UTC on Sunday, not 23:00: the pause follows the wall clock.
    assert result.until == datetime(2026, 3, 29, 22, 0, tzinfo=ZoneInfo("UTC"))
    assert result.until - FRIDAY == timedelta(days=2, hours=10)  # one hour shorter than the calendar says


def test_until_tomorrow_late_at_night_and_at_midnight() -> None:
    late = datetime(2026, 3, 28, 23, 59, tzinfo=BERLIN)
    assert parse_pause(["tomorrow"], late, BERLIN) == PauseUntil(berlin(29))
    midnight = berlin(29)
    assert parse_pause(["tomorrow"], midnight, BERLIN) == PauseUntil(berlin(30))
    assert parse_pause(["until", "sunday"], midnight, BERLIN) == PauseUntil(datetime(2026, 4, 5, tzinfo=BERLIN))


@pytest.mark.parametrize("word", ["off", "resume", "aus", "weiter", "reanudar", "retomar", "продолжить"])
def test_pause_off_in_each_language(word: str) -> None:
    assert parse_pause([word], FRIDAY, BERLIN) == TurnOff()


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("until", "until when"), ("bis", "until when"), ("until someday", "isn't a time or a day"),
        ("until mon-fri", "isn't a time or a day"), ("until weekends", "isn't a time or a day"),
        ("until 25:00", "isn't a time of day"), ("until monday tuesday", "one day and one time"),
        ("until 9 10", "one day and one time"), ("bis morgen Montag", "one day and one time"),
        ("15 days", "isn't a length of time"), ("2d", "isn't a length of time"), ("forever", "isn't a length of time"),
        ("-2h", "isn't a length of time"), ("0m", "at least a minute"), ("400h", "up to 14 days"),
        ("monday", "isn't a length of time"), ("x" * 500, "isn't a length of time"),
    ],
)
def test_bad_pauses_say_why(typed: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_pause(typed.split(), FRIDAY, BERLIN)


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
    assert find_zone("Xyzzy Qwv") is None
    assert find_zone("x" * 1000) is None


def test_a_shared_location_finds_its_zone_offline() -> None:
    assert zone_at(52.52, 13.405) == "Europe/Berlin"
    assert zone_at(40.71, -74.0) == "America/New_York"
    assert zone_at(95.0, 0.0) is None
