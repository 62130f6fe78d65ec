"""The clock lease on both engines: one holder among many contenders, hand-over when the holder
stops renewing, fences that move on with every term, and reminder claims fenced by them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.services.leadership import CLOCK_LEASE, Leadership
from bot.services.repositories import Claim, DueRow, ScheduleRow
from bot.storage import Database, Repositories

pytestmark = pytest.mark.both_engines

T0 = 1_800_000_000.0
TTL = 15.0


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[Repositories]:
    db = await Database.open(database_url)
    yield Repositories.over(db)
    await db.close()


async def test_of_eight_contenders_exactly_one_holds_the_lease(database_url: str) -> None:
    dbs = await asyncio.gather(*(Database.open(database_url) for _ in range(8)))
    try:
        grants = await asyncio.gather(
            *(
                Repositories.over(db).leases.acquire(CLOCK_LEASE, f"replica-{i}", T0, TTL, renew=False)
                for i, db in enumerate(dbs)
            )
        )
    finally:
        for db in dbs:
            await db.close()
    assert len([grant for grant in grants if grant is not None]) == 1


async def test_the_holder_renews_others_wait_and_take_over_once_it_expires(stores: Repositories) -> None:
    leases = stores.leases
    first = await leases.acquire(CLOCK_LEASE, "a", T0, TTL, renew=False)
    assert first is not None
    assert await leases.acquire(CLOCK_LEASE, "b", T0 + 5, TTL, renew=False) is None
    renewed = await leases.acquire(CLOCK_LEASE, "a", T0 + 5, TTL, renew=True)
    assert renewed is not None and renewed.fence == first.fence
    assert await leases.acquire(CLOCK_LEASE, "b", T0 + 19, TTL, renew=False) is None  # a's renewal holds to T0+20
    taken = await leases.acquire(CLOCK_LEASE, "b", T0 + 21, TTL, renew=False)
    assert taken is not None and taken.fence == first.fence + 1
    assert taken.previous_holder == "a" and taken.previous_expiry == T0 + 5 + TTL
    assert await leases.acquire(CLOCK_LEASE, "a", T0 + 22, TTL, renew=True) is None  # a is out


async def test_a_lease_handed_back_is_free_at_once(stores: Repositories) -> None:
    await stores.leases.acquire(CLOCK_LEASE, "a", T0, TTL, renew=False)
    await stores.leases.release(CLOCK_LEASE, "a")
    grant = await stores.leases.acquire(CLOCK_LEASE, "b", T0 + 1, TTL, renew=False)
    assert grant is not None and grant.previous_expiry == 0.0


async def queue_one_reminder(stores: Repositories) -> int:
    due = datetime.fromtimestamp(T0, UTC)
    await stores.users.upsert_user(7, "Alex", due)
    await stores.schedules.save_schedule(ScheduleRow(7, "daily", "12:30", 127, None, None, None, due, slot="12:30"))

    def decide(row: DueRow) -> Claim:
        return Claim(7, "daily", "12:30", due, None, (7, "2026-01-01", 0.0, "daily"))

    await stores.schedules.claim_due(due, 10, decide)
    (delivery,) = await stores.deliveries.pending_deliveries(10)
    return delivery.id


async def test_a_reminder_is_claimed_for_sending_under_one_fence_only(stores: Repositories) -> None:
    delivery_id = await queue_one_reminder(stores)
    old = await stores.leases.acquire(CLOCK_LEASE, "a", T0, TTL, renew=False)
    assert old is not None
    claim = stores.deliveries.claim_for_sending
    assert await claim(delivery_id, CLOCK_LEASE, "a", old.fence, T0 + 1)
    assert await claim(delivery_id, CLOCK_LEASE, "a", old.fence, T0 + 2)  # a retry by the same holder
    new = await stores.leases.acquire(CLOCK_LEASE, "b", T0 + 30, TTL, renew=False)  # a died
    assert new is not None
    # The new holder does not take what the old one was sending; the old one may not go on.
    assert not await claim(delivery_id, CLOCK_LEASE, "b", new.fence, T0 + 31)
    assert not await claim(delivery_id, CLOCK_LEASE, "a", old.fence, T0 + 31)


async def test_a_deposed_holder_cannot_claim_a_pending_reminder(stores: Repositories) -> None:
    delivery_id = await queue_one_reminder(stores)
    old = await stores.leases.acquire(CLOCK_LEASE, "a", T0, TTL, renew=False)
    new = await stores.leases.acquire(CLOCK_LEASE, "b", T0 + 30, TTL, renew=False)
    assert old is not None and new is not None
    assert not await stores.deliveries.claim_for_sending(delivery_id, CLOCK_LEASE, "a", old.fence, T0 + 31)
    assert await stores.deliveries.claim_for_sending(delivery_id, CLOCK_LEASE, "b", new.fence, T0 + 31)


async def test_a_standby_replica_takes_over_within_a_lease_and_a_third(stores: Repositories) -> None:
    """Two Leadership loops on a manual wall clock: the leader stops renewing (killed); the
    standby, trying every TTL/3, leads within TTL + TTL/3 of the leader's last renewal."""
    wall = [T0]
    events: list[tuple[str, str, float | None]] = []

    def replica(name: str) -> Leadership:
        async def gained(fence: int, away: float | None) -> None:
            events.append((name, "gained", away))

        async def lost() -> None:
            events.append((name, "lost", None))

        return Leadership(stores.leases, holder=name, ttl=TTL, on_gain=gained, on_loss=lost, wall=lambda: wall[0])

    a, b = replica("a"), replica("b")
    await a._round()
    await b._round()
    assert (a.leading, b.leading) == (True, False)
    last_renewal = wall[0]
    # a is killed: it renews no more. b tries every TTL/3.
    for _ in range(10):  # (bounded: a standby that never leads fails the test, not hangs it)
        if b.leading:
            break
        wall[0] += TTL / 3
        await b._round()
    assert wall[0] - last_renewal <= TTL + TTL / 3
    assert events[-1][:2] == ("b", "gained")
    away = events[-1][2]
    assert away is not None and away <= TTL + TTL / 3
    # a comes back to life: it finds the lease gone and steps down instead of running the clock.
    await a._round()
    assert not a.leading and events[-1] == ("a", "lost", None)
