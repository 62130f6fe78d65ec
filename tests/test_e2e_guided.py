"""End to end: a user walks through a routine in chat against the fake Bot API server."""

from __future__ import annotations

from tests.fake_telegram import FakeTelegram


async def test_stretch_walks_through_every_pose_in_order(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch quick")

    first = await user.next_message()
    assert "1/3 · Reach up" in first.text
    assert "Hold 2 s" in first.text
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

    clock.advance(10)
    cue = await user.next_message()
    assert cue.text == "Halfway: Soften your shoulders."

    clock.advance(10)
    summary = await user.next_message()
    assert "Quick test done!" in summary.text
    assert "23 s" in summary.text and "3 of 3 poses" in summary.text
    assert summary.buttons == ["🔁 Go again", "📋 Routines"]
    await telegram.wait_until(lambda: third.buttons == [], what="buttons removed from last pose")
