"""End to end: the live pose card (countdown redrawn in place, get-ready lead-in, half-way cue),
an optional finisher offered rather than run, and the check-in at the end."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.app import running
from bot.domain.session import OFFER_WAIT
from tests.conftest import POLL_TIMEOUT
from tests.fake_telegram import FakeTelegram, FakeUser, Message

LIVE_ROUTINES = Path(__file__).parent / "routines_live"
# The new session columns (phase, countdown, check-in) on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


@pytest.fixture
async def live_bot(make_settings, clock):
    async with running(make_settings(routines_dir=LIVE_ROUTINES), clock, poll_timeout=POLL_TIMEOUT) as application:
        yield application


async def hold_the_lunge(telegram: FakeTelegram, lunge: Message, clock) -> None:
    """Get ready, then hold: the clock moves a phase at a time, as the bot sees it."""
    clock.advance(6)
    await telegram.wait_until(lambda: "⏱ 0:40 left" in lunge.text, what="the hold starting")
    clock.advance(40)


async def reach_the_offer(user: FakeUser, telegram: FakeTelegram, clock) -> Message:
    """Start the routine and hold both poses, up to the offer of the optional finisher."""
    await user.send("/stretch lunges")
    await user.next_message("1/2")
    clock.advance(30)
    await hold_the_lunge(telegram, await user.next_message("2/2"), clock)
    return await user.next_message("One more to finish?")


def notifying(user: FakeUser) -> int:
    """The bot's messages in the user's chat: new ones notify; edits are not counted here."""
    return len(user.messages)


async def test_the_card_counts_down_in_place_gets_ready_and_shows_the_halfway_cue(
    live_bot, telegram: FakeTelegram, clock
) -> None:
    user = telegram.user()
    await user.send("/stretch lunges")
    await user.next_message("Before you start")
    first = await user.next_message("1/2 · Stand tall")
    assert "⏱ 0:30 left" in first.text
    await live_bot.observe()  # the bot has heard back which message the card is

    clock.advance(10)
    await telegram.wait_until(lambda: "⏱ 0:20 left" in first.text, what="the countdown redrawn")
    clock.advance(4)
    await live_bot.observe()
    assert "⏱ 0:20 left" in first.text  # coarse: not redrawn every second
    assert user.unseen() == []  # and never as a new message

    clock.advance(16)
    lunge = await user.next_message("2/2 · Low lunge - right leg forward")
    assert "Get ready: 0:06" in lunge.text and "then hold 40 s" in lunge.text
    clock.advance(6)
    await telegram.wait_until(lambda: "⏱ 0:40 left" in lunge.text, what="the hold starting on the card")
    clock.advance(20)
    await telegram.wait_until(lambda: "Let the hip sink." in lunge.text, what="the half-way cue on the card")
    assert "⏱ 0:20 left" in lunge.text
    await live_bot.observe()
    assert user.unseen() == []


async def test_an_optional_finisher_is_offered_and_the_check_in_is_stored(
    live_bot, telegram: FakeTelegram, clock
) -> None:
    user = telegram.user()
    await user.send("/stretch lunges")
    await user.next_message("1/2")
    clock.advance(30)
    lunge = await user.next_message("2/2")
    assert "Next: you're done" in lunge.text  # the finisher is not owed
    await hold_the_lunge(telegram, lunge, clock)
    offer = await user.next_message("One more to finish?")
    assert "Walking the dog" in offer.text
    assert offer.buttons == ["➕ Add it", "✅ Finish here"]
    await telegram.wait_until(lambda: lunge.buttons == [], what="the last card's buttons removed")

    await user.press(offer, "Add it")
    extra = await user.next_message("Extra · Walking the dog")
    assert "⏱ 0:20 left" in extra.text
    await telegram.wait_until(lambda: offer.buttons == [], what="the offer's buttons removed")
    clock.advance(20)
    summary = await user.next_message("Lunges done!")
    assert "2 of 2 poses done, plus the extra" in summary.text
    assert summary.text.endswith("How did that feel?")
    assert summary.buttons == ["🙂 Fine", "😬 Tight", "🤕 Pain", "🔁 Go again", "📋 Routines"]
    # From /stretch to the check-in: the safety note, three cards, the offer and the summary.
    assert notifying(user) == 6

    assert await user.toast(await user.press(summary, "Pain")) == "Thanks!"
    await telegram.wait_until(lambda: "It hurt." in summary.text, what="the answer on the summary")
    assert summary.buttons == ["🔁 Go again", "📋 Routines"]
    advice = await user.next_message("Sorry it hurt")
    assert "doctor or physiotherapist" in advice.text and "Next time, try Gentle" in advice.text
    assert advice.buttons == ["▶️ Gentle"]

    await user.send("/history")
    assert "Lunges: 🤕 painful" in (await user.next_message("How your last routines felt")).text
    await user.send("/export")
    exported = await user.next_message("CSV")
    assert exported.file is not None
    sessions = [row for row in csv.DictReader(io.StringIO(exported.file.decode())) if row["record"] == "session"]
    assert [row["feeling"] for row in sessions] == ["pain"]

    await user.press(advice, "Gentle")
    assert "1/1 · Easy breathing" in (await user.next_message("Easy breathing")).text
    await user.send("/stop")
    await user.next_message("Stopped")

    # Next time the routine that hurt is asked for, the gentler one is offered first.
    await user.send("/stretch lunges")
    offer = await user.next_message("Last time Lunges hurt")
    assert offer.buttons == ["▶️ Gentle", "Lunges anyway"]
    await user.press(offer, "Lunges anyway")
    assert "1/2 · Stand tall" in (await user.next_message("Stand tall")).text


async def test_finish_here_and_an_offer_left_alone_both_finish_the_routine(
    live_bot, telegram: FakeTelegram, clock
) -> None:
    user = telegram.user()
    offer = await reach_the_offer(user, telegram, clock)
    await user.press(offer, "Finish here")
    summary = await user.next_message("Lunges done!")
    assert "2 of 2 poses done." in summary.text
    assert await user.toast(await user.press(summary, "Tight")) == "Thanks!"
    await telegram.wait_until(lambda: "Felt tight" in summary.text, what="the answer on the summary")
    await live_bot.observe()
    assert user.unseen() == []  # no advice after "tight"

    await reach_the_offer(user, telegram, clock)
    clock.advance(OFFER_WAIT.total_seconds())
    assert "Lunges done!" in (await user.next_message("done")).text


async def test_a_routine_stopped_at_once_asks_nothing(live_bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch lunges")
    card = await user.next_message("1/2")
    clock.advance(5)
    await user.press(card, "Stop")
    summary = await user.next_message("Stopped")
    assert "How did that feel?" not in summary.text
    assert summary.buttons == ["🔁 Go again", "📋 Routines"]
