"""The one backoff rule every retry in the bot uses."""

from __future__ import annotations

from datetime import timedelta

from telegram.error import RetryAfter

from bot.telegram.retrying import backoff, retry_after_seconds


def test_waits_double_from_the_first_up_to_the_ceiling_with_jitter() -> None:
    for attempt, full in [(1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (6, 15.0), (10_000, 15.0)]:
        waits = [backoff(attempt, first=0.5, ceiling=15.0) for _ in range(200)]
        assert all(full / 2 <= wait <= full for wait in waits), (attempt, min(waits), max(waits))
        assert len(set(waits)) > 1  # jittered, so waiters do not return together


def test_retry_after_in_seconds() -> None:
    assert retry_after_seconds(RetryAfter(timedelta(seconds=7))) == 7.0
