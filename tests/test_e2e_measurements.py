"""End to end: reach measurements in a flagship-shaped routine, progress, export and forget."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.app import running
from bot.domain.session import ANSWER_WAIT
from tests.conftest import POLL_TIMEOUT
from tests.fake_telegram import FakeTelegram, FakeUser, Message

MEASURING_ROUTINES = Path(__file__).parent / "routines_measuring"


@pytest.fixture
async def measuring_bot(make_settings, clock):
    settings = make_settings(routines_dir=MEASURING_ROUTINES)
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        yield settings


async def noted(telegram: FakeTelegram, card: Message, acknowledgement: str) -> None:
    """The answer shows on the card itself (an edit: no new notification)."""
    await telegram.wait_until(lambda: acknowledgement in card.text, what=f"{acknowledgement!r} on the card")


async def walk_lunges(user: FakeUser, clock) -> None:
    for label in ("2/4 · Lunge - right side", "3/4 · Lunge - left side"):
        await user.next_message(label)
        clock.advance(4)


async def test_before_and_after_by_button_and_by_typed_inches(measuring_bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch")
    fold = await user.next_message("1/4 · Standing forward fold")
    assert "📏 Tap a landmark, or send the gap in cm" in fold.text
    assert "12 above the floor, 0 touching, -3 past it" in fold.text  # the convention, stated
    # Two rows at most: the measuring row, then the usual controls.
    assert fold.buttons == ["Knees", "Shins", "Ankles", "Floor", "Palms", "Not now", "⏸ Pause", "⏭ Skip", "⏹ Stop"]
    assert len(fold.keyboard) == 2

    # Answering during the hold notes it on the card, and the hold runs on to its end.
    assert await user.toast(await user.press(fold, "Shins")) == "Saved"
    await noted(telegram, fold, "Noted: mid-shin. Send another number to correct it.")
    assert "Not now" in fold.buttons  # still the card of a pose being held
    clock.advance(2)
    await walk_lunges(user, clock)
    second = await user.next_message("4/4 · Standing forward fold")
    await user.send("4 in")
    await noted(telegram, second, "Noted: 10.2 cm above the floor.")
    clock.advance(2)
    summary = await user.next_message("done!")
    assert "Reach: mid-shin → 10.2 cm above the floor (a landmark and a number can't be compared)." in summary.text
    await telegram.wait_until(lambda: second.buttons == [], what="question buttons removed")


async def test_numbers_noise_and_nonsense(measuring_bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch")
    fold = await user.next_message("1/4")
    for nonsense, reason in [("abc", "couldn't read"), ("999", "outside what a standing reach can be"),
                             ("-500", "outside"), ("🙂", "couldn't read"), ("x" * 300, "too long")]:
        await user.send(nonsense)
        reply = await user.next_message()
        assert reason in reply.text and "like 12, 12.5 cm, 5 in" in reply.text
    await user.send("41")
    await noted(telegram, fold, "Noted: 41 cm above the floor.")
    await user.send("14")  # a slip corrected within the same hold replaces it
    await noted(telegram, fold, "Noted: 14 cm above the floor.")
    clock.advance(2)
    await walk_lunges(user, clock)
    second = await user.next_message("4/4")
    await user.send("12,5 cm")
    await noted(telegram, second, "Noted: 12.5 cm above the floor.")
    clock.advance(2)
    summary = await user.next_message("done!")
    assert (
        "14 cm above the floor → 12.5 cm above the floor. A 1.5 cm difference is within measurement noise"
        in summary.text
    )
    await user.send("/history")
    history = (await user.next_message()).text
    assert "41 cm" not in history and "14 cm above the floor" in history


async def test_the_question_after_the_hold_and_a_reply_to_it(measuring_bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch")
    fold = await user.next_message("1/4")
    clock.advance(2)
    # The question takes over the card (an edit: the user is still folded, no new message).
    await telegram.wait_until(lambda: "Time's up: where did your fingertips reach?" in fold.text, what="question")
    question = fold
    assert "I'll move on in 3 min" in question.text
    assert question.buttons[-1] == "⏹ Stop" and "⏸ Pause" not in question.buttons  # no Pause while waiting
    assert user.unseen() == []
    await user.send("-3", reply_to=question)  # a Telegram reply to the question; past the floor
    await user.next_message("2/4")  # the answer moves the routine on at once
    await noted(telegram, question, "Noted: 3 cm past the floor.")
    await telegram.wait_until(lambda: question.buttons == [], what="the question's buttons removed")


async def test_no_answer_moves_on_and_skip_measuring_too(measuring_bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch")
    fold = await user.next_message("1/4")
    clock.advance(2)
    await telegram.wait_until(lambda: "Time's up" in fold.text, what="the question on the card")
    clock.advance(ANSWER_WAIT.total_seconds())
    # Said on the next card, not in a message of its own.
    assert "no measurement this time" in (await user.next_message("2/4")).text
    clock.advance(4)
    await user.next_message("3/4 · Lunge - left side")
    clock.advance(4)
    last = await user.next_message("4/4")
    await user.press(last, "Not now")
    await noted(telegram, last, "Not measuring this time.")
    clock.advance(2)
    summary = await user.next_message("done!")
    assert "4 of 4 poses done" in summary.text and "Reach:" not in summary.text
    await user.send("/history")
    assert "No measurements yet" in (await user.next_message()).text


async def test_reach_command_history_progress_chart(measuring_bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("12")  # a bare number outside a routine is not silently lost
    assert "/reach 12" in (await user.next_message()).text
    await user.send("/reach")
    assert "Send /reach and where your fingertips reach" in (await user.next_message()).text
    await user.send("/reach abc")
    assert "couldn't read" in (await user.next_message()).text
    await user.send("/progress")
    assert "No reach measurements yet" in (await user.next_message()).text

    start = clock.now()
    for value, days in (("20", 0), ("18", 2), ("ankles", 3), ("12", 8)):
        clock.set(start + timedelta(days=days))
        await user.send(f"/reach {value}")
        await user.next_message("saved")

    await user.send("/history")
    history = (await user.next_message()).text
    assert "Last 4 of 4 measurements" in history
    assert history.index("12 cm above the floor") < history.index("ankles") < history.index("20 cm above the floor")

    await user.send("/progress")
    report = (await user.next_message("Your progress")).text
    assert "First: 20 cm above the floor" in report and "Best, not warmed up: 12 cm above the floor" in report
    assert "Latest: 12 cm above the floor" in report
    assert "cm further" in report  # 19 cm mean in week one, 12 cm later: beyond noise
    photo = await telegram.wait_until(lambda: next((m for m in user.messages if m.kind == "photo"), None))
    assert photo.file is not None and photo.file.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(photo.file))
    image.verify()  # checks every chunk's CRC: a truncated or corrupt PNG fails here
    assert (image.format, image.size) == ("PNG", (800, 500))
    assert "noise" in photo.text


def stored_rows(database: Path, user_id: int) -> dict[str, list[dict]]:
    with sqlite3.connect(database) as plain:
        plain.row_factory = sqlite3.Row
        tables = [r[0] for r in plain.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found = {}
        for table in tables:
            columns = [c[1] for c in plain.execute(f"PRAGMA table_info({table})")]
            keys = [c for c in ("user_id", "chat_id") if c in columns]
            if keys:
                where = " OR ".join(f"{k} = ?" for k in keys)
                found[table] = [
                    dict(r) for r in plain.execute(f"SELECT * FROM {table} WHERE {where}", [user_id] * len(keys))
                ]
        return found


async def test_export_is_exactly_the_stored_rows_and_forget_removes_them_all(
    measuring_bot, telegram: FakeTelegram, clock
) -> None:
    user, other = telegram.user(1001), telegram.user(2002)
    await other.send("/reach 30")
    await other.next_message("saved")
    await user.send("/export")
    assert "don't store anything" in (await user.next_message()).text

    await user.send("/remind 12:30")
    await user.next_message()
    await user.send("/stretch")
    fold = await user.next_message("1/4")
    await user.press(fold, "Ankles")
    clock.advance(2)
    await walk_lunges(user, clock)
    await user.next_message("4/4")
    await user.send("-2")
    clock.advance(2)
    await user.next_message("done!")
    await user.send("/reach 7.5")
    await user.next_message("saved")

    await user.send("/export")
    document = await telegram.wait_until(lambda: next((m for m in user.messages if m.kind == "document"), None))
    assert document.file_name == "limber-data.csv"
    exported = list(csv.DictReader(io.StringIO(document.file.decode())))
    stored = stored_rows(measuring_bot.database_path, user.id)
    measured = [r for r in exported if r["record"] == "measurement"]
    assert [(int(r["id"]), r["value_cm"], r["landmark"], r["phase"], r["convention"]) for r in measured] == [
        (
            row["id"],
            "" if row["value_cm"] is None else str(row["value_cm"]),
            row["landmark"] or "",
            row["phase"],
            row["convention"],
        )
        for row in stored["measurements"]
    ]
    assert [r["phase"] for r in measured] == ["before", "after", "single"]
    assert len([r for r in exported if r["record"] == "session"]) == len(stored["sessions"]) == 1
    assert len([r for r in exported if r["record"] == "schedule"]) == len(stored["schedules"]) == 1
    assert len([r for r in exported if r["record"] == "profile"]) == 1

    await user.send("/forget")
    question = await user.next_message("Are you sure?")
    await user.press(question, "Keep my data")
    assert "Nothing deleted" in (await user.next_message()).text
    assert stored_rows(measuring_bot.database_path, user.id)["measurements"]

    await user.send("/forget")
    question = await user.next_message("Are you sure?")
    yes = question.callback_data("Yes, delete everything")
    await user.press(question, "Yes, delete everything")
    assert "deleted everything" in (await user.next_message()).text
    await user.press_data(question, yes)  # a double tap is harmless
    assert "deleted everything" in (await user.next_message()).text
    assert not [m for m in user.messages if "went wrong" in m.text]
    leftovers = {table: rows for table, rows in stored_rows(measuring_bot.database_path, user.id).items() if rows}
    assert leftovers == {}
    # The other user's data is untouched.
    assert stored_rows(measuring_bot.database_path, other.id)["measurements"]


async def test_the_chart_is_drawn_off_the_event_loop(measuring_bot, telegram: FakeTelegram, monkeypatch) -> None:
    """Drawing takes a tenth of a second or more; on the event loop it would stall every chat."""
    import threading

    from bot.telegram.handlers import measurements as progress

    drawn_on: list[threading.Thread] = []
    real_chart = progress.reach_chart

    def recording_chart(*args, **kwargs):  # type: ignore[no-untyped-def]
        drawn_on.append(threading.current_thread())
        return real_chart(*args, **kwargs)

    monkeypatch.setattr(progress, "reach_chart", recording_chart)
    user = telegram.user()
    await user.send("/reach 12")
    await user.next_message("saved")
    await user.send("/progress")
    await telegram.wait_until(lambda: any(m.kind == "photo" for m in user.messages), what="the chart")
    assert drawn_on and drawn_on[0] is not threading.main_thread()


async def test_a_typed_answer_counts_after_chatting_before_the_routine(measuring_bot, telegram: FakeTelegram) -> None:
    """A plain message first (the bot notes that this user has no routine running), then a
    routine: the number typed at its fold is still taken as the answer."""
    user = telegram.user()
    await user.send("hello")
    await user.next_message("stretching coach")
    await user.send("/stretch")
    fold = await user.next_message("1/4 · Standing forward fold")
    await user.send("12")
    await noted(telegram, fold, "Noted: 12 cm above the floor.")


async def test_an_answer_to_a_card_the_bot_has_not_heard_back_about_is_still_noted_on_it(
    measuring_bot, telegram: FakeTelegram, clock
) -> None:
    """The user sees the fold card before the bot learns which message it became (here the
    answers to its sendMessage calls are a second late) and replies at once: it is still noted
    there."""
    from tests.fake_telegram import Delay

    user = telegram.user()
    telegram.inject("sendMessage", Delay(1), Delay(1))  # the first-time safety note, then the card
    await user.send("/stretch")
    fold = await user.next_message("1/4")
    await user.send("12")
    await noted(telegram, fold, "Noted: 12 cm above the floor.")
    clock.advance(2)
    await user.next_message("2/4")
    await telegram.wait_until(lambda: fold.buttons == [], what="the fold's buttons removed")


async def test_a_value_far_from_the_recent_ones_asks_did_you_mean_before_it_counts(
    measuring_bot, telegram: FakeTelegram, clock
) -> None:
    user = telegram.user()
    for value in ("12", "13"):
        await user.send(f"/reach {value}")
        await user.next_message("saved")
    clock.advance(60)
    await user.send("/reach -12")  # a slipped minus sign
    question = await user.next_message("Did you mean")
    assert question.text == (
        "🤔 12 cm past the floor? That's far from your recent 12.5 cm above the floor. "
        "Did you mean 12 cm above the floor?"
    )
    assert question.buttons == ["✏️ 12 cm above the floor", "✅ 12 cm past the floor is right"]
    await user.send("/progress")
    report = (await user.next_message("Your progress")).text
    assert "Best, not warmed up: 12 cm above the floor" in report  # not yet the unconfirmed -12

    assert await user.toast(await user.press(question, "✏️")) == "Saved"
    await telegram.wait_until(lambda: question.text == "✅ Saved: 12 cm above the floor.", what="settled")
    assert question.buttons == []
    assert await user.toast(await user.press_data(question, "dm:3:keep")) == "That button has expired."
    await user.send("/history")
    assert "past the floor" not in (await user.next_message("measurement")).text

    # During a routine: the fold notes the answer, and asks; "is right" makes it count.
    await user.send("/stretch")
    fold = await user.next_message("1/4")
    await user.send("-10")
    await noted(telegram, fold, "Noted: 10 cm past the floor.")
    question = await user.next_message("Did you mean 10 cm above the floor?")
    await user.press(question, "is right")
    await telegram.wait_until(lambda: question.text == "✅ Saved: 10 cm past the floor.", what="kept")
    await user.send("/progress")
    report = (await user.next_message("Your progress")).text
    assert "Best, not warmed up: 10 cm past the floor" in report
