"""Which replica runs the clock.

Any number of replicas may serve users, but the clock (session sweeps, the reminder claim, the
courier that sends reminders) runs in exactly one: the holder of the ``clock`` lease. Each
replica tries to take or renew it every third of its lifetime; the holder keeps it, and when it
dies the lease expires and another replica takes it within ``ttl`` plus one renewal interval.
A holder that cannot renew in time steps down by itself before the lease can pass to another.

Every change of holder moves the lease's fence on; the courier claims each reminder under its
fence, so a replica that lost the lease (frozen, cut off) cannot send what the new holder sends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.services.repositories import LeaseStore

log = logging.getLogger(__name__)

CLOCK_LEASE = "clock"
STOPPING = "stopping"


class Leadership:
    def __init__(
        self,
        leases: LeaseStore,
        *,
        holder: str,
        ttl: float,
        on_gain: Callable[[int, float | None], Awaitable[None]],
        on_loss: Callable[[], Awaitable[None]],
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.holder = holder
        self._leases = leases
        self._ttl = ttl
        self._on_gain = on_gain
        self._on_loss = on_loss
        self._wall = wall
        #: The fence of the lease while this replica holds it, else None.
        self.fence: int | None = None
        self._renewed_at = 0.0
        self._task: asyncio.Task[None] | None = None
        self._changing = asyncio.Lock()

    @property
    def leading(self) -> bool:
        return self.fence is not None

    async def start(self) -> None:
        """Try once at once (a replica that finds the lease free leads before it serves anyone;
        after a crash it waits for the dead holder's lease to run out), then keep trying."""
        await self._round()
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        """Stop trying; if leading, stop the clock here and hand the lease back at once."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.leading:
            await self._step_down(STOPPING)
            await self._release()

    async def _release(self) -> None:
        try:
            await self._leases.release(CLOCK_LEASE, self.holder)
        except Exception as exc:  # it expires by itself anyway
            log.warning("Could not hand the clock lease back (%s); it expires by itself", type(exc).__name__)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            try:
                await self._round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Leadership round failed")

    async def _round(self) -> None:
        async with self._changing:
            now = self._wall()
            try:
                # Bounded: a renewal stuck longer than a third of the lease could outlive it.
                grant = await asyncio.wait_for(
                    self._leases.acquire(CLOCK_LEASE, self.holder, now, self._ttl, renew=self.leading), self._ttl / 3
                )
            except Exception as exc:  # the database is away: keep what we have, for a while
                if self.leading and self._wall() - self._renewed_at > self._ttl * 2 / 3:
                    await self._step_down(f"cannot renew the clock lease ({type(exc).__name__})")
                return
            if grant is None:
                if self.leading:
                    await self._step_down("another replica holds the clock lease")
                return
            self._renewed_at = now
            if grant.fence == self.fence:
                return
            if self.leading:
                await self._step_down("the clock lease changed hands in between")
            self.fence = grant.fence
            # How long the clock went unattended: known when another holder's lease ran out
            # (it last renewed ttl before that); unknown after a clean hand-back or a first start.
            away = None
            if grant.previous_holder not in (None, self.holder) and grant.previous_expiry > 0:
                away = max(0.0, now - (grant.previous_expiry - self._ttl))
            log.info("This replica runs the clock now (lease fence %d)", grant.fence)
            try:
                await self._on_gain(grant.fence, away)
            except Exception:
                # Half started (the database failed mid-way): hand the lease back, so this or
                # another replica starts the clock afresh instead of holding it idle.
                log.exception("Starting the clock failed; handing the lease back")
                await self._step_down("starting the clock failed")
                await self._release()

    async def _step_down(self, why: str) -> None:
        level = logging.INFO if why == STOPPING else logging.WARNING
        log.log(level, "This replica stops running the clock: %s", why)
        self.fence = None
        await self._on_loss()
