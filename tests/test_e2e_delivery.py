"""End to end: messages reach users honestly when Telegram misbehaves (slow answers, 429s, 5xx,
dropped connections), and the bot keeps Telegram's limits itself."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.app import running
from bot.services import coach as coach_module
from tests.conftest import POLL_TIMEOUT
from tests.fake_telegram import Delay, Drop, DropAfter, FakeTelegram, RateLimits, Status


def at(clock, hour: int, minute: int = 0) -> None:
    clock.set(datetime(2026, 1, 5, hour, minute, tzinfo=UTC))


def reminders_of(user) -> list:
    return [m for m in user.messages if "Time to stretch" in m.text]


async def eventually(condition, what: str, timeout: float = 10.0) -> None:
    """A safety net for states the bot reaches without a request to the fake server."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def test_a_reminder_arrives_exactly_once_when_telegram_answers_too_slowly(
    make_settings, telegram: FakeTelegram, clock
) -> None:
    settings = make_settings(request_timeout_seconds=0.3)
    user = telegram.user()
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT) as bot:
        await user.send("/remind 12:30")
        await user.next_message("Daily reminder set")
        # From now on every message arrives, but its answer comes after the bot gave up waiting.
        telegram.inject_always("sendMessage", Delay(1.0))
        at(clock, 12, 30)
        await user.next_message("Time to stretch")
        await bot.observe()
        for minute in (31, 35, 45):  # many sweeps later, still one
            at(clock, 12, minute)
            await bot.observe()
        assert len(reminders_of(user)) == 1
        assert bot.dispatcher.stats.unsure == 1
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT status FROM deliveries").fetchall() == [("unknown",)]


async def test_a_reminder_goes_out_through_429s_and_5xx(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/remind 12:30")
    await user.next_message("Daily reminder set")
    telegram.inject("sendMessage", Status(502), Status(429, retry_after=1), Status(500))
    at(clock, 12, 30)
    await user.next_message("Time to stretch")
    await bot.observe()
    assert len(reminders_of(user)) == 1
    assert len(telegram.faults_served) == 3


async def test_a_reminder_is_not_sent_again_after_the_connection_dropped_once_sent(
    make_settings, telegram: FakeTelegram, clock
) -> None:
    """Telegram took the message, then the connection broke before its answer: the bot cannot
    know the reminder arrived, and does not risk sending it twice."""
    settings = make_settings()
    user = telegram.user()
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT) as bot:
        await user.send("/remind 12:30")
        await user.next_message("Daily reminder set")
        telegram.inject("sendMessage", DropAfter())
        at(clock, 12, 30)
        await user.next_message("Time to stretch")
        for minute in (31, 40):
            at(clock, 12, minute)
            await bot.observe()
        assert len(reminders_of(user)) == 1
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT status FROM deliveries").fetchall() == [("unknown",)]


async def test_every_pose_is_shown_through_429s_5xx_and_dropped_connections(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/stretch quick")
    await user.next_message("1/3")
    telegram.inject("sendMessage", Status(429, retry_after=1), Status(502), Drop(), Status(500), Drop())
    clock.advance(2)
    await user.next_message("2/3")
    clock.advance(1)
    await user.next_message("3/3")
    clock.advance(20)
    summary = await user.next_message("done!")
    assert "3 of 3 poses done" in summary.text
    assert "didn't let me show" not in summary.text


async def test_a_pose_telegram_never_accepted_is_not_counted_as_done(
    bot, telegram: FakeTelegram, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A card stays worth sending while its hold lasts; here the hold is 1 s of real time.
    monkeypatch.setattr(coach_module, "MIN_CARD_TTL", 0.2)
    user = telegram.user()
    await user.send("/stretch quick")
    await user.next_message("1/3")
    telegram.inject_always("sendMessage", Status(502))
    clock.advance(2)  # pose 2 is due, but Telegram keeps failing for longer than its hold
    await eventually(lambda: bot.dispatcher.stats.gave_up >= 1, "the second card to be given up")
    telegram.clear_faults()
    clock.advance(1)
    await user.next_message("3/3")
    clock.advance(20)
    summary = await user.next_message("done!")
    assert "2 of 3 poses done" in summary.text
    assert "didn't let me show you 1 pose in time" in summary.text
    assert not [m for m in user.messages if "2/3" in m.text]


async def test_pose_timing_counts_from_when_a_pose_was_due_not_when_it_was_noticed(
    bot, telegram: FakeTelegram, clock
) -> None:
    """The sweep notices pose 1's end 5 s late: pose 2 still ends when it was due to."""
    user = telegram.user()
    await user.send("/stretch quick")
    await user.next_message("1/3")
    clock.advance(2 + 5)  # pose 1 (2 s) ended 5 s ago
    await user.next_message("2/3")
    # Pose 2 (1 s) started when pose 1 was due to end, so it ended 4 s ago: the next pose
    # comes without the clock moving on. (Counting from the late notice, it would need 1 s.)
    await user.next_message("3/3")


async def test_within_telegrams_limits_a_burst_provokes_no_429(make_settings, telegram: FakeTelegram, clock) -> None:
    """Telegram's limits enforced by the fake server; the bot keeps them on its own."""
    telegram.rate_limits = RateLimits(overall_per_second=30, per_chat_per_second=1, retry_after=5)
    settings = make_settings(send_rate_per_second=30)
    users = [telegram.user(2000 + n, f"U{n}") for n in range(6)]
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT) as bot:
        for user in users:
            await user.send("/start")  # two messages each into each private chat
        for user in users:
            await user.next_message("stretching")
            await user.next_message()
        await bot.observe()
    assert telegram.rejected_429 == 0


async def test_above_telegrams_free_rate_messages_go_as_paid_broadcasts(
    make_settings, telegram: FakeTelegram, clock
) -> None:
    user = telegram.user()
    for rate, paid in ((30, None), (100, True)):
        async with running(make_settings(send_rate_per_second=rate), clock, poll_timeout=POLL_TIMEOUT):
            await user.send("/help")
            await user.next_message("What I can do")
        assert telegram.calls_to("sendMessage")[-1].params.get("allow_paid_broadcast") == paid
