"""Shared fixtures: a fake Telegram server on 127.0.0.1, a manual clock, and the real bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import running
from bot.config import Settings
from bot.domain.clock import ManualClock
from tests.fake_telegram import TOKEN, FakeTelegram

# As the bot itself opts in (bot.app.running): python-telegram-bot's durations as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "true")

TEST_ROUTINES = Path(__file__).parent / "routines"
#: Long-poll length in tests: stopping the bot waits for the poll in flight.
POLL_TIMEOUT = 0.5


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    api = FakeTelegram()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_settings(tmp_path: Path, telegram: FakeTelegram) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": TOKEN,
            "database_path": tmp_path / "data" / "limber.sqlite3",
            "routines_dir": TEST_ROUTINES,
            "telegram_base_url": telegram.base_url,
            # Sweep often in real time; the manual clock decides what is due.
            "session_tick_seconds": 0.02,
            "reminder_sweep_seconds": 0.02,
            # Telegram's rate limits are off unless a test is about them: pacing real seconds
            # between messages would only make the suite slow.
            "send_rate_per_second": 0,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def shipped_routines() -> None:
    """``routines_dir`` for the routines shipped with the bot (its package data)."""
    return None


@pytest.fixture
async def bot(make_settings: Callable[..., Settings], clock: ManualClock) -> AsyncIterator[Any]:
    """The real application, polling the fake server, driven by the manual clock."""
    async with running(make_settings(), clock, poll_timeout=POLL_TIMEOUT) as application:
        yield application
