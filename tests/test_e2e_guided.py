"""End to end: a user walks through a routine in chat against the fake Bot API server."""

from __future__ import annotations

import re

import pytest

from tests.fake_telegram import Delay, FakeTelegram

# The session and reminder stories, on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


async def test_stretch_walks_through_every_pose_in_order(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch quick")

    # A user's very first routine: the safety note once, as a short message of its own.
    note = await user.next_message()
    assert note.text.startswith("🛟 Before you start") and "never pain" in note.text and note.buttons == []
    first = await user.next_message()
    assert "1/3 · Reach up" in first.text
    assert "Mild tension, never pain." in first.text  # the note again, as one line
    assert "⏱ 0:02 left" in first.text
    assert "Arms overhead." in first.text
    assert "Next: Side bend (right)" in first.text
    assert first.buttons == ["⏸ Pause", "⏭ Skip", "⏹ Stop"]

    clock.advance(2)
    second = await user.next_message()
    assert "2/3 · Side bend - right side" in second.text
    assert "Next: Easy breathing" in second.text
    # The previous pose's buttons are gone once the next pose arrives.
    await telegram.wait_until(lambda: first.buttons == [], what="buttons removed from pose 1")

    clock.advance(1)
    third = await user.next_message()
    assert "3/3 · Easy breathing" in third.text
    assert "Next: you're done" in third.text

    await bot.observe()  # the bot has heard back which message the card is
    clock.advance(10)
    # The half-way cue goes onto the card, with the time left: an edit, not a new message.
    await telegram.wait_until(lambda: "Soften your shoulders." in third.text, what="half-way cue on the card")
    assert "⏱ 0:10 left" in third.text
    assert user.unseen() == []

    clock.advance(10)
    summary = await user.next_message()
    assert "Quick test done!" in summary.text
    assert "23 s" in summary.text and "3 of 3 poses" in summary.text
    assert summary.buttons == ["🔁 Go again", "📋 Routines"]
    await telegram.wait_until(lambda: third.buttons == [], what="buttons removed from last pose")


async def test_pause_holds_the_clock_and_resume_continues_with_the_time_left(bot, telegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch quick")
    first = await user.next_message(" · ")
    clock.advance(1)

    toast = await user.toast(await user.press(first, "Pause"))
    assert toast == "Paused"
    await telegram.wait_until(lambda: "Paused · 0:01 left" in first.text, what="paused marker")
    assert first.buttons == ["▶️ Resume", "⏭ Skip", "⏹ Stop"]

    # Time passes while paused, and the next pose does not come.
    clock.advance(600)
    double = await user.toast(await user.press_data(first, first.callback_data("Resume").replace(":r", ":p")))
    assert double == "Already paused"
    assert user.unseen() == []

    assert await user.toast(await user.press(first, "Resume")) == "Go!"
    await telegram.wait_until(lambda: "Paused" not in first.text, what="pause marker gone")
    assert "⏱ 0:01 left" in first.text
    assert first.buttons[0] == "⏸ Pause"

    clock.advance(1)
    second = await user.next_message()
    assert "2/3 · Side bend" in second.text


async def test_skip_moves_on_at_once_and_a_double_tap_skips_only_once(bot, telegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch quick")
    first = await user.next_message(" · ")

    one = await user.press(first, "Skip")
    two = await user.press_data(first, first.callback_data("Skip"))
    assert await user.toast(one) == "Skipped"
    assert await user.toast(two) == "That pose is already over."
    second = await user.next_message()
    assert "2/3 · Side bend" in second.text
    assert user.unseen() == []


async def test_stop_button_ends_the_session_with_a_summary(bot, telegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch quick")
    await user.next_message(" · ")
    clock.advance(2)
    second = await user.next_message()
    stale_pause = second.callback_data("Pause")  # e.g. still on screen on another device
    assert await user.toast(await user.press(second, "Stop")) == "Stopped"
    summary = await user.next_message()
    assert "Stopped Quick test." in summary.text
    assert "1 of 3 poses done" in summary.text
    await telegram.wait_until(lambda: second.buttons == [], what="buttons removed after stop")

    # The session is over: nothing more arrives, and old buttons only get a toast.
    clock.advance(100)
    assert await user.toast(await user.press_data(second, stale_pause)) == "That button has expired."
    assert user.unseen() == []

    # "Go again" starts the same routine from the top.
    await user.press(summary, "Go again")
    again = await user.next_message()
    assert "1/3 · Reach up" in again.text


async def test_stop_command(bot, telegram, clock) -> None:
    user = telegram.user()
    await user.send("/stop")
    assert "not in a routine" in (await user.next_message()).text
    await user.send("/stretch quick")
    await user.next_message(" · ")
    await user.send("/stop")
    assert "Stopped Quick test." in (await user.next_message()).text


async def test_stretch_during_a_session_asks_to_continue_or_start_over(bot, telegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch quick")
    await user.next_message(" · ")
    clock.advance(2)
    second = await user.next_message()

    await user.send("/stretch quick")
    question = await user.next_message()
    assert "middle of Quick test (pose 2 of 3)" in question.text

    await user.press(question, "Continue")
    again = await user.next_message()
    assert "2/3 · Side bend" in again.text
    await telegram.wait_until(lambda: second.buttons == [], what="old pose loses its buttons")

    await user.send("/stretch")
    question = await user.next_message()
    await user.press(question, "Start over")
    flagship = await user.next_message()
    assert "Hamstrings & hips" not in flagship.text  # the test folder has no flagship ...
    assert "1/3 · Reach up" in flagship.text  # ... so /stretch starts the first routine


async def test_each_user_has_their_own_session_and_cannot_press_another_users_buttons(bot, telegram, clock) -> None:
    alex, sam = telegram.user(1001, "Alex"), telegram.user(2002, "Sam")
    await alex.send("/stretch quick")
    alex_pose = await alex.next_message(" · ")
    toast = await sam.toast(await sam.press(alex_pose, "Stop"))
    assert toast == "That button belongs to someone else."
    await sam.send("/stretch quick")
    sam_pose = await sam.next_message(" · ")
    assert "1/3 · Reach up" in sam_pose.text
    clock.advance(2)
    assert "2/3" in (await alex.next_message()).text
    assert "2/3" in (await sam.next_message()).text


async def test_forged_and_garbage_buttons_get_a_toast_and_change_nothing(bot, telegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch quick")
    pose = await user.next_message(" · ")
    for data in ["garbage", "ses:999999:0:x", "ses:1:7:x", "go:no-such-routine", "new:1:nope", "ses:1:0:z" * 8]:
        toast = await user.toast(await user.press_data(pose, data))
        assert toast in {"That button has expired.", "That pose is already over."}, data
    assert pose.buttons == ["⏸ Pause", "⏭ Skip", "⏹ Stop"]
    clock.advance(2)
    assert "2/3 · Side bend" in (await user.next_message()).text


async def test_unknown_routine_lists_the_ones_there_are(bot, telegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch yoga-for-cats")
    reply = await user.next_message()
    assert "don't know a routine called “yoga-for-cats”" in reply.text
    assert reply.buttons == ["Quick test · 23 s"]
    await user.press(reply, "Quick test")
    assert "1/3 · Reach up" in (await user.next_message("1/3")).text


async def test_unknown_command_text_and_huge_messages_get_a_hint(bot, telegram, clock) -> None:
    user = telegram.user()
    await user.send("/dance")
    reply = await user.next_message()
    assert "I don't know /dance" in reply.text and "/stretch" in reply.text

    await user.send("hello?")
    assert "/stretch starts a routine" in (await user.next_message()).text

    await user.send("x" * 4096)
    reply = await user.next_message()
    assert "/stretch starts a routine" in reply.text and len(reply.text) < 500

    await user.send_update(message={
        "message_id": 99, "from": user.json, "chat": {"id": user.id, "type": "private"},
        "date": 0, "sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular",
                                "width": 1, "height": 1, "is_animated": False, "is_video": False},
    })
    assert "/stretch" in (await user.next_message()).text

    await user.send("/stretch quick")
    await user.next_message(" · ")
    await user.send("what now")
    assert "use the buttons under the pose" in (await user.next_message()).text


async def test_start_help_and_routines(bot, telegram, clock) -> None:
    assert [c["command"] for c in telegram.commands] == [
        "stretch", "routines", "stop", "remind", "nudges", "reminders", "pause", "timezone",
        "reach", "progress", "history", "export", "forget", "language", "help",
    ]
    user = telegram.user(first_name="<b>Zoë</b>")
    await user.send("/start")
    welcome = await user.next_message()
    assert welcome.text.startswith("Hi <b>Zoë</b>!")  # shown literally, not as markup
    assert "never pain" in welcome.text
    assert welcome.buttons == ["Quick test · 23 s"]
    # Without a zone of their own, the user is asked for it before any reminder time.
    assert "First, where are you?" in (await user.next_message()).text

    await user.send("/help")
    help_text = (await user.next_message()).text
    for command in ("/stretch", "/routines", "/stop", "/help"):
        assert command in help_text

    await user.send("/routines")
    listing = await user.next_message()
    assert "Quick test (23 s, quick): Three short steps for the tests." in listing.text
    await user.press(listing, "Quick test")
    assert "1/3 · Reach up" in (await user.next_message("1/3")).text


def shown_seconds(card_text: str) -> tuple[str, int]:
    """What a live card says about time: ("ready" | "left", seconds)."""
    found = re.search(r"Get ready: (\d+):(\d\d)|(\d+):(\d\d) left", card_text)
    assert found is not None, card_text
    if found[1] is not None:
        return "ready", int(found[1]) * 60 + int(found[2])
    return "left", int(found[3]) * 60 + int(found[4])


async def test_a_first_flagship_run_is_fourteen_notifications_with_a_card_that_keeps_time(
    make_settings, shipped_routines, telegram, clock
) -> None:
    """A new user's first run of the flagship, answering at both folds during the hold and
    adding the optional finisher: at most 14 messages that notify, from /stretch to the
    check-in, and every card shows the time left within 15 s of the truth."""
    from bot.app import running
    from bot.domain.routines import load_routines
    from tests.conftest import POLL_TIMEOUT

    flagship = load_routines(shipped_routines)["hamstrings"]
    required = [step for step in flagship.steps if not step.optional]
    finisher = flagship.steps[len(required)]
    answers = {0: "14 cm", len(required) - 1: "9"}
    async with running(make_settings(routines_dir=shipped_routines), clock, poll_timeout=POLL_TIMEOUT) as bot:
        user = telegram.user()
        await user.send("/stretch")
        await user.next_message("Before you start")
        cards = []

        async def follow(index: int, label: str, step) -> None:  # type: ignore[no-untyped-def]
            card = await user.next_message(label)
            cards.append(card)
            assert card.kind == "photo" and card.file is not None  # every flagship pose has its picture
            assert len(card.keyboard or []) <= 2
            phases = [("ready", step.get_ready)] if step.get_ready else []
            phases.append(("left", step.seconds))
            for phase, seconds in phases:
                elapsed = 0
                while elapsed < seconds:
                    await bot.observe()
                    shown_phase, shown = shown_seconds(card.text)
                    assert shown_phase == phase, (label, card.text)
                    assert abs(shown - (seconds - elapsed)) <= 15, (label, phase, shown, seconds - elapsed)
                    if phase == "left" and index in answers and elapsed == 10:
                        await user.send(answers[index])
                        await telegram.wait_until(lambda c=card: "Noted:" in c.text, what="the answer noted")
                    step_by = min(5, seconds - elapsed)
                    clock.advance(step_by)
                    elapsed += step_by

        for index, step in enumerate(required):
            await follow(index, f"{index + 1}/{len(required)} · {step.name}", step)
        offer = await user.next_message("One more to finish?")
        await user.press(offer, "Add it")
        await follow(len(required), f"Extra · {finisher.name}", finisher)
        summary = await user.next_message("done!")
        assert f"{len(required)} of {len(required)} poses done, plus the extra" in summary.text
        assert "Reach: 14 cm above the floor → 9 cm above the floor: 5 cm further today." in summary.text
        assert "How did that feel?" in summary.text
        assert len(user.messages) <= 14, [m.text[:40] for m in user.messages]
        # Each drawing went up once; a pose seen again is sent by Telegram's file id.
        drawings = {(step.picture, step.side) for step in flagship.steps}
        assert telegram.photo_uploads == len(drawings) < len(cards)
        await telegram.wait_until(lambda: all(c.buttons == [] for c in cards), what="no card keeps buttons")


async def test_a_crash_in_a_handler_gets_a_friendly_answer_and_no_secrets(bot, telegram, clock, monkeypatch) -> None:
    from bot.services.coach import Coach
    from tests.fake_telegram import TOKEN

    async def broken(*args, **kwargs):
        raise RuntimeError(f"database exploded while calling /bot{TOKEN}/sendMessage")

    monkeypatch.setattr(Coach, "start", broken)
    user = telegram.user()
    await user.send("/stretch quick")
    reply = await user.next_message()
    assert reply.text == "Sorry, something went wrong on my side. Please try again in a moment."
    await user.send("/routines")
    listing = await user.next_message()
    await user.toast(await user.press(listing, "Quick test"))  # the spinner stops
    assert (await user.next_message()).text == reply.text
    everything_sent = " ".join(str(call.params) for call in telegram.calls)
    assert TOKEN.split(":")[1] not in everything_sent
    monkeypatch.undo()
    # The bot is still alive and well.
    await user.send("/stretch quick")
    assert "1/3 · Reach up" in (await user.next_message(" · ")).text


async def test_a_button_racing_a_change_made_elsewhere_gets_a_toast_not_an_error(
    bot, telegram, clock, monkeypatch
) -> None:
    """With several replicas, the clock (on another process) can save a session between a
    button's read and its write: the button finds its state gone and says so."""
    from sqlalchemy import update

    from bot.storage.sessions import SessionRepository
    from bot.storage.tables import sessions

    user = telegram.user()
    await user.send("/stretch quick")
    card = await user.next_message("1/3 · Reach up")
    real_get = SessionRepository.get_session

    async def read_then_changed_elsewhere(self, session_id):  # type: ignore[no-untyped-def]
        session = await real_get(self, session_id)
        await self._db.run(update(sessions).where(sessions.c.id == session_id).values(version=sessions.c.version + 1))
        return session

    monkeypatch.setattr(SessionRepository, "get_session", read_then_changed_elsewhere)
    assert await user.toast(await user.press(card, "Pause")) == "That pose is already over."


async def test_a_mostly_skipped_routine_ended_early_and_does_not_count(bot, telegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch quick")
    for label in ("1/3 · Reach up", "2/3 · Side bend", "3/3 · Easy breathing"):
        card = await user.next_message(label)
        await user.toast(await user.press(card, "Skip"))
    summary = await user.next_message("Quick test")
    assert "ended early" in summary.text and "🎉" not in summary.text and "done!" not in summary.text
    assert "0 of 3 poses done, 3 skipped" in summary.text
    await user.send("/progress")
    report = await user.next_message("This week")
    assert "This week: 0 routines finished. Streak: 0 days." in report.text

    # Held through (more than half of its hold time): celebrated and counted.
    await user.send("/stretch quick")
    for label, seconds in (("1/3 · Reach up", 2), ("2/3 · Side bend", 1), ("3/3 · Easy breathing", 20)):
        await user.next_message(label)
        clock.advance(seconds)
    assert "🎉" in (await user.next_message("done!")).text
    await user.send("/progress")
    assert "This week: 1 routine finished. Streak: 1 day." in (await user.next_message("This week")).text


async def test_pause_pressed_before_the_bot_heard_back_about_the_card_still_marks_it(bot, telegram, clock) -> None:
    """Telegram shows the card to the user before the bot hears back which message it became
    (here: the answer to sendMessage is 1 s late); a Pause pressed meanwhile still redraws it."""
    user = telegram.user()
    telegram.inject("sendMessage", Delay(1), Delay(1))  # the first-routine safety note, then the card
    await user.send("/stretch quick")
    card = await user.next_message("1/3 · Reach up")
    assert await user.toast(await user.press(card, "Pause")) == "Paused"
    await telegram.wait_until(lambda: "Paused" in card.text, what="the paused marker on the card")
    assert card.buttons[0] == "▶️ Resume"


async def test_the_safety_note_comes_once_per_user(bot, telegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch quick")
    await user.next_message("Before you start")
    card = await user.next_message("1/3 · Reach up")
    await user.press(card, "Stop")
    await user.next_message("Stopped")
    await user.send("/stretch quick")
    again = await user.next_message()
    assert "1/3 · Reach up" in again.text and "Mild tension, never pain." in again.text
    assert not [m for m in user.messages if "Before you start" in m.text][1:]
