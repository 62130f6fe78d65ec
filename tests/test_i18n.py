"""Translations: which language a user gets, and catalogs that are complete and well formed."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot.domain.reach import Measurement, Reach, ReachError, compare, parse_reach, progress
from bot.domain.routines import load_routines
from bot.domain.schedule import Kind, NudgeWindow, Weekdays
from bot.domain.schedule_input import InputError
from bot.domain.timezones import ZoneFound
from bot.presentation import texts
from bot.presentation.i18n import DEFAULT, SHIPPED, Words, native_name, negotiate, telegram_code, words
from bot.services.notices import (
    DailyEntry,
    HistoryView,
    NudgeEntry,
    NudgesSet,
    Overview,
    Paused,
    ProgressView,
    ReachLogged,
    ReminderSet,
    Resumed,
    SnoozeEntry,
    TimezoneSet,
    TooManyReminders,
    TurnedOff,
)

LOCALE = Path(__file__).parent.parent / "bot" / "locale"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@pytest.mark.parametrize(
    ("telegram", "expected"),
    [
        ("de", "de"), ("de-AT", "de"), ("de-CH", "de"), ("es", "es"), ("es-419", "es"), ("es-MX", "es"),
        ("pt-BR", "pt_BR"), ("pt", "pt_BR"), ("pt-PT", "pt_BR"), ("ru", "ru"), ("ru-UA", "ru"),
        ("en", "en"), ("en-GB", "en"), ("fr", "en"), ("zh-hans", "en"), ("", "en"), (None, "en"),
        ("not a code", "en"), ("x" * 300, "en"),
    ],
)
def test_telegram_language_codes_map_to_the_nearest_shipped_language(telegram: str | None, expected: str) -> None:
    assert negotiate(telegram) == expected


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE / f"{language}.po").open("rb") as handle:
        return read_po(handle, locale=language)


def template_ids() -> set[str]:
    with (LOCALE / "messages.pot").open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def test_the_template_holds_every_text_in_the_code(tmp_path: Path) -> None:
    """A text added to the code without re-extracting the catalogs fails here."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_",
         "-k", "plural:1,2", "--no-location", "--omit-header", "-o", str(fresh), "bot"],
        cwd=LOCALE.parent.parent, check=True,
    )
    with fresh.open("rb") as handle:
        extracted = {message.id for message in read_po(handle) if message.id}
    assert extracted == template_ids()


@pytest.mark.parametrize("language", [code for code in SHIPPED if code != DEFAULT])
def test_every_catalog_translates_every_text_and_keeps_its_placeholders(language: str) -> None:
    found = catalog(language)
    assert found.plural_forms, "the catalog needs its language's plural rule"
    translated = {message.id: message for message in found if message.id}
    assert set(translated) >= template_ids()
    assert not set(translated) - template_ids(), "the catalog keeps texts the code no longer says"
    for message_id, message in translated.items():
        if isinstance(message_id, tuple):  # a plural: every form keeps the placeholders
            forms, expected = list(message.string), set(PLACEHOLDER.findall(message_id[1]))
        else:
            forms, expected = [message.string], set(PLACEHOLDER.findall(message_id))
        for form in forms:
            assert form, f"{language}: no translation for {message_id!r}"
            assert set(PLACEHOLDER.findall(form)) == expected, f"{language}: {message_id!r} -> {form!r}"
            assert form.count("<b>") == form.count("</b>"), form


@pytest.mark.parametrize("language", SHIPPED)
def test_start_help_and_the_menu_render_in_each_language_without_a_raw_placeholder(language: str) -> None:
    _ = words(language)
    book = load_routines()
    rendered = [
        texts.welcome("Ana", book, _), texts.welcome("", book, _), texts.help_text(_), texts.language_menu(_),
        texts.language_set(_), texts.language_unknown(_, "klingon"), texts.unknown_command("/dance", _),
        texts.duration(45, _), texts.duration(600, _), texts.duration(170, _),
    ]
    for text in rendered:
        assert not PLACEHOLDER.search(text), text
    menu = texts.commands(_)
    assert [name for name, _d in menu] == [name for name, _d in texts.COMMANDS]
    assert all(0 < len(description) <= 256 and "\n" not in description for _n, description in menu)
    if language != DEFAULT:  # really translated, not English passed through
        english = dict(texts.COMMANDS)
        assert sum(description != english[name] for name, description in menu) == len(menu)
        assert texts.language_set(_) != texts.language_set(words(DEFAULT))
        # The flagship is named in the user's language, as is the routine list with its ids.
        flagship = book.in_language(book.default, language).title
        assert flagship != book.default.title and escape(flagship) in texts.welcome("Ana", book, _)
        listed = texts.routine_list(book, _)
        assert escape(flagship) in listed and f"<code>{book.default.id}</code>" in listed


@pytest.mark.parametrize("language", SHIPPED)
def test_a_whole_routine_renders_in_each_language_without_a_raw_placeholder(language: str) -> None:
    """Every card of the flagship in each phase, its buttons, the offer, and the summary with
    its check-in and the answers: all in the language, no placeholder left unfilled."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from bot.domain import session as machine
    from bot.domain.actions import Feeling
    from bot.domain.session import Status
    from bot.presentation import keyboards

    _ = words(language)
    flagship = load_routines()["hamstrings"]
    gentle = load_routines()["hamstrings-gentle"]
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    started, _events = machine.start(flagship, 1, 1, t0)
    started = replace(started, id=1)
    rendered: list[str] = [texts.safety_note(flagship, _)]
    for index, step in enumerate(flagship.steps):
        at_step = replace(started, step_index=index, halfway_sent=True)
        ready = replace(at_step, phase=machine.Phase.READY)
        holding = replace(at_step, phase=machine.Phase.HOLD)
        paused = replace(holding, clock_started_at=None)
        asking = replace(holding, clock_started_at=None, awaiting_answer_until=t0 + timedelta(minutes=3))
        for state in (ready, holding, paused, asking):
            rendered.append(texts.pose(flagship, state, seconds_left=40, _=_))
            for row in keyboards.reach_controls(state, _) + keyboards.optional_offer(state, _):
                rendered += [label for label, _data in row]
        rendered.append(texts.optional_offer(flagship, step, _))
    done = replace(started, status=Status.FINISHED, steps_done=10, steps_skipped=1, extras_done=1,
                   cards_missed=2, active_seconds=500)
    rendered.append(texts.summary(flagship, done, ask_feeling=True, _=_))
    rendered += [texts.summary(flagship, done, feeling=f, _=_) for f in Feeling]
    rendered += [label for row in keyboards.check_in(done, flagship, _) for label, _data in row]
    rendered += [texts.pain_advice(gentle, _), texts.gentler_offer(flagship, gentle, _), texts.reach_not_answered(_)]
    for text in rendered:
        assert not PLACEHOLDER.search(text), text
    if language != DEFAULT:
        english = words(DEFAULT)
        assert texts.summary(flagship, done, ask_feeling=True, _=_) != texts.summary(
            flagship, done, ask_feeling=True, _=english
        )
        assert keyboards.pose_controls(started, _) != keyboards.pose_controls(started, english)


@pytest.mark.parametrize("language", SHIPPED)
def test_a_reminder_set_and_sent_renders_in_each_language(language: str) -> None:
    from datetime import UTC, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from bot.domain.schedule import Weekdays
    from bot.services.notices import ReminderSet, SnoozedUntil

    _ = words(language)
    book = load_routines()
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    rendered = []
    for days, chosen, ahead, hint in (
        (Weekdays.workdays(), None, 0, "UTC"),
        (Weekdays(0b1111111), book["desk-break"], 1, None),
        (Weekdays(0b0010101), book["wrists"], 4, None),
        (Weekdays(0), None, None, None),
    ):
        due = None if ahead is None else now + timedelta(days=ahead, hours=3)
        outcome = ReminderSet(time(12, 30), days, chosen, book.default, due, now, ZoneInfo("Europe/Berlin"), hint)
        rendered.append(texts.reminder_set(outcome, book, _))
    rendered += [
        texts.daily_reminder(book.default, timedelta(minutes=40), snoozed=True, _=_),
        texts.nudge(book["desk-break"], timedelta(0), snoozed=False, _=_),
        texts.snoozed_note(SnoozedUntil(now + timedelta(minutes=15), now, ZoneInfo("Europe/Berlin")), _),
    ]
    for text in rendered:
        assert not PLACEHOLDER.search(text), text
    if language != DEFAULT:
        assert rendered[0] != texts.reminder_set(
            ReminderSet(time(12, 30), Weekdays.workdays(), None, book.default, now, now, ZoneInfo("UTC")),
            book, words(DEFAULT),
        )
        assert book.in_language(book["desk-break"], language).title in rendered[1]


def _reminder_replies(_: Words) -> list[str]:
    """Every reply of /remind, /reminders, /nudges, /pause and /timezone, in ``_``'s words."""
    book = load_routines()
    zone, now = ZoneInfo("Europe/Berlin"), datetime(2026, 1, 5, 9, tzinfo=UTC)
    later = now + timedelta(hours=3)
    window = NudgeWindow(time(9), time(17), 45)
    view = Overview(
        (DailyEntry(time(10, 30), Weekdays.workdays(), later, None),
         DailyEntry(time(15), Weekdays(0b1111111), later + timedelta(days=2), book["wrists"])),
        NudgeEntry(window, Weekdays.of(0, 2, 4), later),
        (SnoozeEntry(later, time(10, 30)), SnoozeEntry(later, None, True), SnoozeEntry(later)),
        "Europe/Berlin", True, later, now,
    )
    return [
        texts.reminder_set(ReminderSet(time(15), Weekdays.workdays(), None, book.default, later, now, zone,
                                       None, (time(10, 30),), True), book, _),
        texts.reminder_set(TooManyReminders((time(9), time(10), time(11))), book, _),
        texts.overview(view, book, _),
        texts.overview(Overview((), None, (), "UTC", False, None, now), book, _),
        texts.nudges_set(NudgesSet(window, Weekdays.workdays(), later, now, zone, "UTC"), _),
        texts.turned_off(TurnedOff(Kind.DAILY, 3), _),
        texts.turned_off(TurnedOff(Kind.NUDGE, 0), _),
        texts.paused(Paused(later, now, zone), _),
        texts.resumed(Resumed(True), _),
        texts.timezone_set(TimezoneSet("Europe/Berlin", time(10, 5), True), _),
        texts.timezone_reading(ZoneFound("Asia/Kolkata", place="Kolkata, India", fixed_offset="+05:30"), _),
        texts.input_problem(InputError("“{typed}” isn't a time I can read", typed="25:99"),
                            texts.remind_examples(_), _),
        texts.removed(time(10, 30), True, _),
    ]


def _progress_replies(_: Words) -> list[str]:
    """/progress, /history, a before/after line and a /reach answer, in ``_``'s words."""
    book = load_routines()
    zone, now = ZoneInfo("Europe/Berlin"), datetime(2026, 1, 20, 9, tzinfo=UTC)
    measurements = [
        Measurement(now - timedelta(days=14), Reach(cm=14.5), "before", 1),
        Measurement(now - timedelta(days=14, minutes=-10), Reach(cm=9), "after", 1),
        Measurement(now - timedelta(days=2), Reach(cm=11), "before", 2),
        Measurement(now - timedelta(days=1), parse_reach("ankles"), "single"),
    ]
    report = progress(measurements, [now - timedelta(days=1)], now, zone)
    history = HistoryView(measurements, 12, zone, [(now, "hamstrings", "fine"), (now, "wrists", "pain")])
    return [
        texts.progress(ProgressView(report, measurements, zone), _),
        texts.history(history, book, _),
        texts.change_line(compare(Reach(cm=14), Reach(cm=9)), _),
        texts.change_line(compare(parse_reach("knees"), parse_reach("ankles")), _),
        texts.reach_logged(ReachLogged(Reach(cm=-3.5)), _),
        texts.reach_problem(ReachError("I couldn't read a distance there"), _),
        texts.chart_caption(_),
    ]


@pytest.mark.parametrize("language", SHIPPED)
@pytest.mark.parametrize("replies", [_reminder_replies, _progress_replies], ids=["reminders", "progress"])
def test_reminders_progress_and_history_render_in_each_language(language: str, replies) -> None:  # type: ignore[no-untyped-def]
    """No raw placeholder in any language, and no reply left in English in another one."""
    rendered, english = replies(words(language)), replies(words(DEFAULT))
    for text in rendered:
        assert not PLACEHOLDER.search(text), text
    if language != DEFAULT:
        for text, in_english in zip(rendered, english, strict=True):
            assert text != in_english, f"left in English: {text}"


def test_language_names_and_telegram_codes() -> None:
    assert [native_name(code) for code in SHIPPED] == [
        "English", "Deutsch", "Español", "Português (Brasil)", "Русский"
    ]
    assert [telegram_code(code) for code in SHIPPED] == ["en", "de", "es", "pt", "ru"]


@pytest.mark.parametrize(
    ("language", "counts"),
    [
        # Counts that share a form in each language, and counts that do not.
        ("en", {"day": (1,), "days": (0, 2, 5, 21)}),
        ("de", {"Tag": (1,), "Tage": (0, 2, 5, 21)}),
        ("ru", {"день": (1, 21, 101), "дня": (2, 3, 24), "дней": (0, 5, 11, 12, 25)}),
        ("es", {"día": (1,), "días": (0, 2, 5, 21)}),
        ("pt_BR", {"dia": (0, 1), "dias": (2, 5, 21)}),
    ],
)
def test_plural_forms_follow_each_languages_rule(language: str, counts: dict[str, tuple[int, ...]]) -> None:
    _ = words(language)
    for form, numbers in counts.items():
        for count in numbers:
            streak = _.plural("Streak: {count} day.", "Streak: {count} days.", count)
            assert re.search(rf"\b{count} {form}\b", streak), (count, streak)


@pytest.mark.parametrize("language", SHIPPED)
def test_the_example_commands_in_each_language_are_understood(language: str) -> None:
    """What the bot suggests typing (in its examples and its command menu) is what it reads."""
    from bot.domain.schedule_input import parse_nudges, parse_pause, parse_remind

    _ = words(language)
    ids = list(load_routines())
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    parsers = {
        "/remind": lambda args: parse_remind(args, ids),
        "/nudges": parse_nudges,
        "/pause": lambda args: parse_pause(args, now, ZoneInfo("UTC")),
    }
    examples = [texts.remind_examples(_), texts.nudge_examples(_), texts.pause_examples(_)]
    lines = [line for text in examples for line in text.splitlines()[1:]]
    # The menu's descriptions: "... e.g. /remind 12:30 or /remind 12:30 desk-break".
    for _name, description in texts.commands(_):
        lines += re.findall(r"(/(?:remind|nudges|pause)(?: [^\s,/]+)+?)(?=,| \S+ /|$| \()", description)
    assert len(lines) >= 14
    for line in lines:
        command, *args = line.split(" (")[0].split()
        parsers[command](args)  # raises, naming the line, if the bot would not understand it
