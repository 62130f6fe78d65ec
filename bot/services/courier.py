"""The courier: hands queued reminder deliveries to the messenger and records what became of them.

Pacing, priorities and retries are the outbound dispatcher's job (reminders go at reminder
priority, behind answers and pose cards). The courier keeps a bounded number of reminders in the
dispatcher's queue at a time, so a burst of thousands never crowds out interactive traffic.

Delivery semantics, at most once per occurrence:

* a delivery is marked 'sending' right before each attempt and 'sent' when Telegram confirms it;
* a transient fault (5xx, a dropped connection, 429) is retried until the reminder is 30 minutes
  late, then marked 'failed';
* a request that timed out after it was sent may have arrived: it is marked 'unknown' and never
  sent again (a reminder arriving twice is the worse failure);
* a delivery found 'sending' at start-up (the process died mid-request) is likewise 'unknown';
  one still 'pending' was never attempted and goes out, unless it is now too late.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.clock import Clock
from bot.domain.schedule import LATE_LIMIT
from bot.presentation.keyboards import Keyboard
from bot.services.leadership import CLOCK_LEASE
from bot.services.messenger import Messenger, Outcome, Status, Ticket, Traffic
from bot.services.repositories import Delivery, DeliveryStore

log = logging.getLogger(__name__)

BATCH = 500
#: Reminders handed to the dispatcher and not yet settled, at most.
OUTSTANDING = 64
#: Where each outcome leaves the delivery record.
_RECORDED_AS = {
    Status.DELIVERED: "sent",
    Status.UNSURE: "unknown",
    Status.BLOCKED: "blocked",
}


@dataclass
class CourierStats:
    """Running totals since start-up, logged after every batch."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    unsure: int = 0


class Courier:
    def __init__(
        self,
        deliveries: DeliveryStore,
        messenger: Messenger,
        render: Callable[[Delivery], Awaitable[tuple[str, Keyboard]]],
        clock: Clock,
        *,
        holder: str = "",
        wall: Callable[[], float] = time.time,
    ) -> None:
        #: Who this replica is in the clock lease, and the fence it holds it under (set by start).
        self._holder = holder
        self._fence = 0
        self._wall = wall
        self._deliveries = deliveries
        self._messenger = messenger
        self._render = render
        self._clock = clock
        self._wake = asyncio.Event()
        self._room = asyncio.Semaphore(OUTSTANDING)
        self._outstanding: set[int] = set()
        self._settling: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self.stats = CourierStats()

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, fence: int) -> None:
        """Settle what an earlier holder of the clock left behind, then start sending in the
        background, claiming each reminder under ``fence``."""
        self._fence = fence
        self._stopping = False
        unknown = await self._deliveries.settle_interrupted_deliveries()
        expired = await self._deliveries.expire_pending_deliveries(self._clock.now() - LATE_LIMIT)
        if unknown or expired:
            log.warning(
                "After restart: %d reminder(s) were mid-send (not resent), %d too late to send",
                unknown, expired,
            )
        self._task = asyncio.create_task(self._run(), name="courier")

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking new work; wait up to ``timeout`` for reminders already handed over."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.gather(self._task, *self._settling), timeout)
            except TimeoutError:
                log.warning("Courier did not finish within %s s; stopping it", timeout)

    def wake(self) -> None:
        self._idle.clear()
        self._wake.set()

    async def idle(self) -> None:
        """Wait until nothing is queued for sending and every handed-over reminder is settled."""
        await self._idle.wait()

    # -- sending -------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            # Clear before looking for work, so a wake-up that arrives meanwhile is not lost.
            self._wake.clear()
            try:
                if await self._hand_over_batch():
                    continue
            except Exception:
                log.exception("Courier batch failed; trying again shortly")
            if not self._outstanding:
                self._idle.set()
            try:
                await asyncio.wait_for(self._wake.wait(), 5.0)
            except TimeoutError:
                pass

    async def _hand_over_batch(self) -> int:
        batch = [
            delivery
            for delivery in await self._deliveries.pending_deliveries(BATCH + len(self._outstanding))
            if delivery.id not in self._outstanding
        ]
        for delivery in batch:
            if self._stopping:
                break
            try:
                text, keyboard = await self._render(delivery)
            except Exception:
                log.exception("Cannot render reminder %s; marking it failed", delivery.id)
                await self._deliveries.finish_delivery(delivery.id, "failed")
                continue
            await self._room.acquire()
            self._hand_over(delivery, text, keyboard)
        return len(batch)

    def _hand_over(self, delivery: Delivery, text: str, keyboard: Keyboard) -> None:
        worth_until = delivery.due_at + LATE_LIMIT
        ticket = self._messenger.post(
            delivery.chat_id,
            text,
            keyboard,
            traffic=Traffic.REMINDER,
            ttl=(worth_until - self._clock.now()).total_seconds(),
            before_attempt=lambda: self._deliveries.claim_for_sending(
                delivery.id, CLOCK_LEASE, self._holder, self._fence, self._wall()
            ),
        )
        self._outstanding.add(delivery.id)
        task = asyncio.create_task(self._settle(delivery, ticket), name=f"reminder-{delivery.id}")
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def _settle(self, delivery: Delivery, ticket: Ticket) -> None:
        try:
            outcome: Outcome = await ticket
            if outcome.status is Status.CANCELLED:
                return  # withdrawn at shutdown: still 'pending' if never tried, so sent later
            status = _RECORDED_AS.get(outcome.status, "failed")
            if status == "sent":
                self.stats.sent += 1
            elif status == "blocked":
                self.stats.blocked += 1
            elif status == "unknown":
                self.stats.unsure += 1
            else:
                self.stats.failed += 1
                log.warning("Reminder %s not delivered: %s %s", delivery.id, outcome.status, outcome.detail)
            sent_at = self._clock.now() if status == "sent" else None
            await self._deliveries.finish_delivery(delivery.id, status, sent_at, outcome.message_id)
        except Exception:
            log.exception("Recording reminder %s failed", delivery.id)
        finally:
            self._outstanding.discard(delivery.id)
            self._room.release()
            if not self._outstanding:
                stats = self.stats
                log.info(
                    "Reminders so far: %d sent, %d to blocked chats, %d failed, %d unsure",
                    stats.sent, stats.blocked, stats.failed, stats.unsure,
                )
                self._wake.set()
