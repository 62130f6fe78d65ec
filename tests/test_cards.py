"""The pose card's words: what the card says at each moment of a step, and how it fits under
a picture."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain import session as machine
from bot.domain.routines import load_routines
from bot.presentation import texts

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FLAGSHIP = load_routines()["hamstrings"]


def test_the_first_card_is_light_and_counts_only_the_required_poses() -> None:
    session, _ = machine.start(FLAGSHIP, 1, 1, T0)
    card = texts.pose(FLAGSHIP, replace(session, id=1), seconds_left=session.remaining)
    assert f"1/{FLAGSHIP.required_steps} · Standing forward fold" in card
    assert "Mild tension, never pain." in card and "Before you start" not in card
    assert f"Get ready: 0:0{FLAGSHIP.steps[0].get_ready}</b>, then check 45 s" in card
    assert len(card) < 600


def test_the_timer_line_follows_the_phase() -> None:
    session, _ = machine.start(FLAGSHIP, 1, 1, T0)
    holding, _ = machine.tick(session, FLAGSHIP, T0 + timedelta(seconds=FLAGSHIP.steps[0].get_ready))
    assert "⏱ <b>0:45 left</b> · check" in texts.pose(FLAGSHIP, holding, seconds_left=45)
    paused = machine.pause(holding, T0 + timedelta(seconds=20))
    assert "⏸ <b>Paused</b> · 0:30 left" in texts.pose(FLAGSHIP, paused, seconds_left=paused.remaining)
    halfway = replace(holding, halfway_sent=True)
    assert f"💬 <i>{FLAGSHIP.steps[0].halfway}</i>" in texts.pose(FLAGSHIP, halfway, seconds_left=20)
    assert "💬" not in texts.pose(FLAGSHIP, holding, seconds_left=30)


def test_the_card_before_the_optional_finisher_says_the_routine_ends_there() -> None:
    last_required = FLAGSHIP.required_steps - 1
    session, _ = machine.start(FLAGSHIP, 1, 1, T0)
    session = replace(session, step_index=last_required)
    assert "Next: you're done" in texts.pose(FLAGSHIP, session, seconds_left=10)


def test_a_caption_too_long_for_telegram_is_shortened_as_plain_text() -> None:
    short = "<b>1/10 · Fold</b>\n• Knees straight."
    assert texts.fit_caption(short) == short
    long = "<b>Title</b>\n" + "• a cue &amp; more\n" * 100
    fitted = texts.fit_caption(long)
    assert len(fitted.replace("&amp;", "&")) <= texts.CAPTION_LIMIT
    assert "<b>" not in fitted and fitted.endswith("…")
