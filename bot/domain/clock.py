"""Time as a dependency, so that tests can move it instead of waiting for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests and benchmarks)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when


class Sweeps:
    """Bookkeeping for a periodic sweep: one runs at a time (a call while one is running is a
    no-op), and :meth:`next` waits for a whole sweep that starts after it was called, which is
    how tests know the bot has seen the clock as it is now."""

    def __init__(self) -> None:
        self._started = 0
        self._finished = 0
        self._running = False
        self._changed = asyncio.Condition()
        #: When the last sweep ended (time.monotonic()), for health checks; None before one did.
        self.finished_at: float | None = None

    @asynccontextmanager
    async def run(self) -> AsyncIterator[bool]:
        """``async with sweeps.run() as mine:`` - ``mine`` is False if another sweep is running."""
        if self._running:
            yield False
            return
        self._running = True
        self._started += 1
        number = self._started
        try:
            yield True
        finally:
            self._running = False
            self.finished_at = time.monotonic()
            async with self._changed:
                self._finished = number
                self._changed.notify_all()

    async def next(self) -> None:
        wanted = self._started + 1
        async with self._changed:
            await self._changed.wait_for(lambda: self._finished >= wanted)
