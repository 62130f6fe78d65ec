"""The courier: sends queued reminder deliveries within Telegram's limits.

Telegram allows a bot about 30 messages a second overall and one a second per chat, and answers
429 "retry after N" beyond that. The courier spaces sends evenly below the overall rate (no
burst), keeps at least a second between two sends to one chat, and when told to wait it waits
and sends the same message again, so a burst of thousands of reminders is delivered in full.

Each delivery is marked 'sending' right before its request and 'sent' right after. A delivery
found 'sending' at start-up may or may not have reached the user; it is not sent again
(duplicates are the worse failure for a reminder), and counted as 'unknown'.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from bot.clock import Clock
from bot.menus import Keyboard
from bot.messenger import Messenger
from bot.schedule import LATE_LIMIT
from bot.storage import Delivery, Storage

log = logging.getLogger(__name__)

#: Below Telegram's ~30/s so that interactive replies still fit beside a reminder burst.
DEFAULT_RATE = 25.0
PER_CHAT_INTERVAL = 1.0
MAX_ATTEMPTS = 5
BATCH = 500
IN_FLIGHT = 32


@dataclass
class CourierStats:
    """Running totals since start-up, logged after every batch."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retries_after_429: int = 0


class Courier:
    def __init__(
        self,
        storage: Storage,
        messenger: Messenger,
        render: Callable[[Delivery], tuple[str, Keyboard]],
        clock: Clock,
        rate_per_second: float = DEFAULT_RATE,
    ) -> None:
        self._storage = storage
        self._messenger = messenger
        self._render = render
        self._clock = clock
        self._limiter = AsyncLimiter(1, 1.0 / rate_per_second)  # capacity 1: evenly spaced
        self._hold_until = 0.0  # monotonic time before which nothing is sent (after a 429)
        self._chat_next: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.stats = CourierStats()

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Settle what an earlier process left behind, then start sending in the background."""
        unknown = await self._storage.settle_interrupted_deliveries()
        expired = await self._storage.expire_pending_deliveries(self._clock.now() - LATE_LIMIT)
        if unknown or expired:
            log.warning(
                "After restart: %d reminder(s) were mid-send (not resent), %d too late to send",
                unknown, expired,
            )
        self._task = asyncio.create_task(self._run(), name="courier")

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the sends in flight (up to ``timeout``), then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout)
            except TimeoutError:
                log.warning("Courier did not finish within %s s; stopping it", timeout)

    def wake(self) -> None:
        self._wake.set()

    # -- sending -------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            # Clear before looking for work, so a wake-up that arrives meanwhile is not lost.
            self._wake.clear()
            try:
                if await self._send_batch():
                    continue
            except Exception:
                log.exception("Courier batch failed; trying again shortly")
            if self._stopping:
                break
            try:
                await asyncio.wait_for(self._wake.wait(), 5.0)
            except TimeoutError:
                pass

    async def _send_batch(self) -> int:
        batch = await self._storage.pending_deliveries(BATCH)
        if not batch:
            return 0
        in_flight = asyncio.Semaphore(IN_FLIGHT)
        tasks = []
        for delivery in batch:
            if self._stopping:
                break
            await in_flight.acquire()
            await self._pace(delivery.chat_id)
            tasks.append(asyncio.create_task(self._send_one(delivery, in_flight)))
        await asyncio.gather(*tasks)
        stats = self.stats
        log.info(
            "Reminders so far: %d sent, %d to blocked chats, %d failed, %d waits after 429",
            stats.sent, stats.blocked, stats.failed, stats.retries_after_429,
        )
        return len(tasks)

    async def _pace(self, chat_id: int) -> None:
        """Wait for our turn: after any 429 hold, at the overall rate, and per chat."""
        while (wait := self._hold_until - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        chat_wait = self._chat_next.get(chat_id, 0.0) - time.monotonic()
        if chat_wait > 0:
            await asyncio.sleep(chat_wait)
        await self._limiter.acquire()
        self._chat_next[chat_id] = time.monotonic() + PER_CHAT_INTERVAL
        if len(self._chat_next) > 50_000:
            now = time.monotonic()
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}

    async def _send_one(self, delivery: Delivery, in_flight: asyncio.Semaphore) -> None:
        try:
            await self._storage.mark_deliveries([delivery.id], "sending")
            text, keyboard = self._render(delivery)
            outcome = await self._messenger.deliver(delivery.chat_id, text, keyboard)
            if outcome.delivered:
                self.stats.sent += 1
                await self._storage.finish_delivery(delivery.id, "sent", self._clock.now(), outcome.message_id)
            elif outcome.blocked:
                self.stats.blocked += 1
                await self._storage.finish_delivery(delivery.id, "blocked")
            elif outcome.retry_after is not None:
                self.stats.retries_after_429 += 1
                self._hold_until = max(self._hold_until, time.monotonic() + outcome.retry_after)
                await self._storage.mark_deliveries([delivery.id], "pending")
            elif delivery.attempts + 1 >= MAX_ATTEMPTS:
                self.stats.failed += 1
                log.warning("Giving up on reminder %s after %d attempts", delivery.id, MAX_ATTEMPTS)
                await self._storage.finish_delivery(delivery.id, "failed")
            else:
                await self._storage.mark_deliveries([delivery.id], "pending")
        finally:
            in_flight.release()
