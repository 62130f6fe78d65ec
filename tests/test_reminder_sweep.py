"""The reminder sweep against a real database: one occurrence, one delivery, whatever happens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.domain.clock import ManualClock
from bot.domain.routines import load_routines
from bot.domain.schedule import Weekdays
from bot.services.reminders import Reminders
from bot.services.repositories import Claim, ScheduleRow
from bot.storage import Database, Repositories

pytestmark = pytest.mark.both_engines

MONDAY_9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class SilentMessenger:
    async def send(self, chat_id, text, keyboard=None):  # type: ignore[no-untyped-def]
        return 1

    async def deliver(self, chat_id, text, keyboard=None):  # type: ignore[no-untyped-def]
        raise AssertionError("the sweep never sends; the courier does")

    async def edit(self, chat_id, message_id, text, keyboard):  # type: ignore[no-untyped-def]
        return None

    async def clear_buttons(self, chat_id, message_id):  # type: ignore[no-untyped-def]
        return None


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[Repositories]:
    db = await Database.open(database_url)
    yield Repositories.over(db)
    await db.close()


def reminders(storage: Repositories, clock: ManualClock, zone: str = "UTC") -> Reminders:
    return Reminders(
        users=storage.users, schedules=storage.schedules, deliveries=storage.deliveries,
        routines=load_routines(), messenger=SilentMessenger(), clock=clock, default_zone=zone,  # type: ignore[arg-type]
    )


async def test_two_replicas_sweeping_at_once_queue_each_occurrence_once(database_url: str) -> None:
    """Two processes' worth of database connections, sweeping the same due rows concurrently."""
    clock = ManualClock(MONDAY_9)
    first_db, second_db = await Database.open(database_url), await Database.open(database_url)
    try:
        first, second = reminders(Repositories.over(first_db), clock), reminders(Repositories.over(second_db), clock)
        for user_id in range(1, 501):
            await first.set_daily(user_id, user_id, "u", time(12, 30), Weekdays.workdays())
        clock.set(MONDAY_9.replace(hour=12, minute=30))
        queued = await asyncio.gather(first.sweep(), second.sweep(), first.sweep(), second.sweep())
        assert sum(queued) == 500
        assert await Repositories.over(first_db).deliveries.count_deliveries() == 500
    finally:
        await first_db.close()
        await second_db.close()


async def test_overlapping_sweeps_queue_each_occurrence_once(storage: Repositories) -> None:
    clock = ManualClock(MONDAY_9)
    first, second = reminders(storage, clock), reminders(storage, clock)
    for user_id in range(1, 201):
        await first.set_daily(user_id, user_id, "u", time(12, 30), Weekdays.workdays())
    clock.set(MONDAY_9.replace(hour=12, minute=30))
    queued = await asyncio.gather(first.sweep(), second.sweep(), first.sweep(), second.sweep())
    assert sum(queued) == 200
    assert await storage.deliveries.count_deliveries() == 200


async def test_a_clock_that_jumps_back_does_not_resend(storage: Repositories) -> None:
    clock = ManualClock(MONDAY_9)
    service = reminders(storage, clock)
    await service.set_daily(1, 1, "u", time(12, 30), Weekdays.workdays())
    clock.set(MONDAY_9.replace(hour=12, minute=30))
    assert await service.sweep() == 1
    clock.set(MONDAY_9.replace(hour=12, minute=20))  # skew: ten minutes back
    await service.set_daily(1, 1, "u", time(12, 30), Weekdays.workdays())  # re-saved: due 12:30 again
    clock.set(MONDAY_9.replace(hour=12, minute=31))
    assert await service.sweep() == 0
    assert await storage.deliveries.count_deliveries() == 1


async def test_fall_back_day_sends_the_repeated_hour_once(storage: Repositories) -> None:
    clock = ManualClock(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    service = reminders(storage, clock, zone="Europe/Berlin")
    await service.set_daily(1, 1, "u", time(2, 30), Weekdays(0b1111111))
    sent = 0
    moment = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    while moment < datetime(2026, 10, 25, 4, 0, tzinfo=UTC):  # sweep every 5 min through the night
        clock.set(moment)
        sent += await service.sweep()
        moment += timedelta(minutes=5)
    assert sent == 1
    assert await storage.deliveries.count_deliveries() == 1


async def test_ten_thousand_due_at_once_are_all_queued_once(storage: Repositories) -> None:
    clock = ManualClock(MONDAY_9)
    service = reminders(storage, clock)
    due = MONDAY_9.replace(hour=12, minute=30)
    async with storage.db.transaction():
        for user_id in range(1, 10_001):
            await storage.users.upsert_user(user_id, "u", clock.now())
            await storage.schedules.save_schedule(
                ScheduleRow(user_id, "daily", "12:30", Weekdays.workdays().mask, None, None, None, due, slot="12:30")
            )
    clock.set(due)
    assert await service.sweep() == 10_000
    assert await service.sweep() == 0
    assert await storage.deliveries.count_deliveries("pending") == 10_000
    # Every schedule moved on to Tuesday: nothing is due 23 hours later.
    def nothing_expected(row: object) -> Claim:
        raise AssertionError(f"still due: {row}")

    assert await storage.schedules.claim_due(due + timedelta(hours=23), 10, nothing_expected) == (0, 0)


async def test_a_claimed_reminder_records_the_routine_it_offers(storage: Repositories) -> None:
    """Resolved as it is claimed: the chosen routine; none chosen and none finished, the
    default; a chosen routine whose file is gone, the default too."""
    clock = ManualClock(MONDAY_9)
    service = reminders(storage, clock)
    await service.set_daily(1, 1, "u", time(12, 30), Weekdays.workdays(), routine_id="desk-break")
    await service.set_daily(2, 2, "u", time(12, 30), Weekdays.workdays())
    await service.set_daily(3, 3, "u", time(12, 30), Weekdays.workdays())
    [row] = await storage.schedules.schedules_of(3)
    await storage.schedules.save_schedule(replace(row, routine_id="gone"))
    assert [row.routine_id for user in (1, 2, 3) for row in await storage.schedules.schedules_of(user)] == [
        "desk-break", None, "gone"
    ]
    clock.set(MONDAY_9.replace(hour=12, minute=30))
    assert await service.sweep() == 3
    offered = {d.user_id: d.routine_id for d in await storage.deliveries.pending_deliveries(10)}
    assert offered == {1: "desk-break", 2: "hamstrings", 3: "hamstrings"}
