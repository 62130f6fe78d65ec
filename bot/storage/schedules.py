"""Reminder schedules, and the deliveries claimed from them.

Claiming is what must never happen twice: :meth:`ScheduleRepository.claim_due` reads due rows
``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's single writer serialises claims anyway), moves
each schedule on only from the instant it was read (compare and set), and queues a delivery under
a unique key per occurrence, all in one transaction. Overlapping sweeps, a restart, or a leader
hand-over cannot queue one occurrence twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Row, and_, bindparam, delete, exists, func, or_, select, update

from bot.services.repositories import Claim, Delivery, DueRow, ScheduleRow
from bot.storage import dialect
from bot.storage.database import Database
from bot.storage.tables import deliveries, leases, schedules, sessions, users
from bot.storage.times import dt, ts


class ScheduleRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        engine = db.engine_name
        insert = dialect.insert(schedules, engine)
        changing = (
            "local_time", "days", "window_start", "window_end", "every_minutes", "next_due_at", "snoozed_kind",
            "routine_id",
        )
        self._upsert = insert.on_conflict_do_update(
            index_elements=[schedules.c.user_id, schedules.c.kind, schedules.c.slot],
            set_={column: insert.excluded[column] for column in changing},
        )
        mine = sessions.c.user_id == schedules.c.user_id
        last_started = select(func.max(sessions.c.started_at)).where(mine).scalar_subquery()
        last_ended = select(func.max(sessions.c.ended_at)).where(mine).scalar_subquery()
        self._due = (
            select(
                schedules,
                users.c.chat_id,
                users.c.timezone,
                users.c.paused_until,
                select(func.max(sessions.c.ended_at))
                .where(mine, sessions.c.status == "finished")
                .scalar_subquery()
                .label("last_finished_at"),
                # What a daily reminder with no routine of its own offers: the last one finished.
                select(sessions.c.routine_id)
                .where(mine, sessions.c.status == "finished")
                .order_by(sessions.c.ended_at.desc(), sessions.c.id.desc())
                .limit(1)
                .scalar_subquery()
                .label("last_routine_id"),
                dialect.greatest(
                    engine,
                    func.coalesce(last_started, 0),
                    func.coalesce(last_ended, 0),
                    func.coalesce(users.c.moved_at, 0),
                ).label("last_active_at"),
            )
            .join(users, users.c.user_id == schedules.c.user_id)
            .where(
                schedules.c.next_due_at.is_not(None),
                schedules.c.next_due_at <= bindparam("now"),
                users.c.blocked_at.is_(None),
            )
            .order_by(schedules.c.next_due_at)
            .limit(bindparam("limit"))
            # Another sweep holding some rows (a replica mid hand-over) skips them, not waits.
            .with_for_update(of=schedules, skip_locked=True)
        )
        self._dailies = select(schedules.c.user_id, schedules.c.local_time, schedules.c.days).where(
            schedules.c.kind == "daily", schedules.c.user_id.in_(bindparam("users", expanding=True))
        )
        # The rows a claim read are locked until it commits (SKIP LOCKED on PostgreSQL, the one
        # writer on SQLite), so they are still due as read; only an occurrence queued before
        # (a clock that jumped back, a re-saved schedule) is refused, by its unique key.
        self._queue = (
            dialect.insert(deliveries, engine)
            .on_conflict_do_nothing(index_elements=[deliveries.c.user_id, deliveries.c.occurrence])
            .returning(deliveries.c.id)
        )
        self._move_on = (
            update(schedules)
            .where(
                schedules.c.user_id == bindparam("s_user"),
                schedules.c.kind == bindparam("s_kind"),
                schedules.c.slot == bindparam("s_slot"),
                schedules.c.next_due_at == bindparam("was_due_at"),
            )
            .values(
                next_due_at=bindparam("s_next"),
                last_key=func.coalesce(bindparam("s_key"), schedules.c.last_key),
            )
        )

    async def save_schedule(self, row: ScheduleRow) -> None:
        await self._db.run(
            self._upsert,
            # A daily reminder is named by its time, whether or not the row says so.
            {"user_id": row.user_id, "kind": row.kind, "local_time": row.local_time,
             "slot": row.slot or (row.local_time or "" if row.kind == "daily" else ""),
             "days": row.days,
             "window_start": row.window_start, "window_end": row.window_end, "every_minutes": row.every_minutes,
             "next_due_at": ts(row.next_due_at), "snoozed_kind": row.snoozed_kind, "routine_id": row.routine_id},
        )

    async def delete_schedule(self, user_id: int, kind: str, slot: str | None = None) -> bool:
        statement = delete(schedules).where(schedules.c.user_id == user_id, schedules.c.kind == kind)
        if slot is not None:
            statement = statement.where(schedules.c.slot == slot)
        return await self._db.run(statement) > 0

    async def schedules_of(self, user_id: int) -> list[ScheduleRow]:
        rows = await self._db.fetch_all(
            select(schedules).where(schedules.c.user_id == user_id).order_by(schedules.c.kind, schedules.c.slot)
        )
        return [_schedule(row) for row in rows]

    async def claim_due(self, now: datetime, limit: int, decide: Callable[[DueRow], Claim]) -> tuple[int, int]:
        """Lock up to ``limit`` due schedules, let ``decide`` say what becomes of each, and write
        that: each schedule moves on only from the instant it was read, and a delivery is queued
        only for a schedule still due then, under its occurrence's unique key. One transaction.
        Returns (schedules decided, deliveries queued)."""
        async with self._db.transaction():
            rows = await self._db.fetch_all(self._due, {"now": ts(now), "limit": limit})
            dailies = await self._dailies_of({row.user_id for row in rows if row.kind == "daily"})
            claims = [decide(_due(row, dailies.get(row.user_id, ()))) for row in rows]
            queued = await self._db.fetch_all(
                self._queue,
                [
                    {"user_id": c.user_id, "chat_id": c.delivery[0], "kind": c.delivery[3],
                     "occurrence": c.delivery[1], "due_at": ts(c.was_due_at), "late_seconds": c.delivery[2],
                     "routine_id": c.routine_id, "slot": c.slot}
                    for c in claims
                    if c.delivery is not None
                ],
            )
            await self._db.run(
                self._move_on,
                [
                    {"s_user": c.user_id, "s_kind": c.kind, "s_slot": c.slot, "was_due_at": ts(c.was_due_at),
                     "s_next": ts(c.next_due_at), "s_key": c.delivery[1] if c.delivery else None}
                    for c in claims
                ],
            )
            await self._db.run(
                delete(schedules).where(schedules.c.kind == "snooze", schedules.c.next_due_at.is_(None))
            )
        return len(rows), len(queued)

    async def _dailies_of(self, user_ids: set[int]) -> dict[int, tuple[tuple[str, int], ...]]:
        """Every daily reminder of these users, as (local time, days mask): whether a due one is
        their first of the day depends on the others (one query per batch, not per row)."""
        found: dict[int, list[tuple[str, int]]] = {}
        if user_ids:
            for row in await self._db.fetch_all(self._dailies, {"users": sorted(user_ids)}):
                found.setdefault(row.user_id, []).append((row.local_time, row.days))
        return {user_id: tuple(rows) for user_id, rows in found.items()}


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        fence: BindParameter[int] = bindparam("fence")
        self._claim = (
            update(deliveries)
            .where(
                deliveries.c.id == bindparam("d_id"),
                or_(
                    deliveries.c.status == "pending",
                    and_(deliveries.c.status == "sending", deliveries.c.claimed_fence == fence),
                ),
                exists().where(
                    leases.c.name == bindparam("lease"),
                    leases.c.holder == bindparam("holder"),
                    leases.c.fence == fence,
                    leases.c.expires_at >= bindparam("now"),
                ),
            )
            .values(status="sending", claimed_fence=fence, attempts=deliveries.c.attempts + 1)
        )

    async def pending_deliveries(self, limit: int) -> list[Delivery]:
        rows = await self._db.fetch_all(
            select(deliveries)
            .where(deliveries.c.status == "pending")
            .order_by(deliveries.c.due_at, deliveries.c.id)
            .limit(limit)
        )
        return [_delivery(row) for row in rows]

    async def get_delivery(self, delivery_id: int) -> Delivery | None:
        row = await self._db.fetch_one(select(deliveries).where(deliveries.c.id == delivery_id))
        return _delivery(row) if row else None

    async def delivery_message(self, delivery_id: int) -> int | None:
        message_id: int | None = await self._db.scalar(
            select(deliveries.c.message_id).where(deliveries.c.id == delivery_id)
        )
        return message_id

    async def claim_for_sending(self, delivery_id: int, lease: str, holder: str, fence: int, now: float) -> bool:
        """Mark a delivery as being sent, for the holder of ``lease`` under ``fence`` only: it
        must still be pending (or already claimed under this same fence, for a retry), and the
        lease still ours. False: another replica owns it now; do not send it."""
        return await self._db.run(
            self._claim,
            {"d_id": delivery_id, "lease": lease, "holder": holder, "fence": fence, "now": now},
        ) == 1

    async def finish_delivery(
        self, delivery_id: int, status: str, sent_at: datetime | None = None, message_id: int | None = None
    ) -> None:
        await self._db.run(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(status=status, sent_at=ts(sent_at), message_id=message_id)
        )

    async def settle_interrupted_deliveries(self) -> int:
        """At start-up: deliveries that were mid-send when the process died may or may not have
        reached the user. They are not sent again (no duplicates); they are marked unknown."""
        return await self._db.run(update(deliveries).where(deliveries.c.status == "sending").values(status="unknown"))

    async def expire_pending_deliveries(self, due_before: datetime) -> int:
        """At start-up: queued reminders that are now too late to be worth sending."""
        return await self._db.run(
            update(deliveries)
            .where(deliveries.c.status == "pending", deliveries.c.due_at < ts(due_before))
            .values(status="expired")
        )

    async def count_deliveries(self, status: str | None = None) -> int:
        statement = select(func.count()).select_from(deliveries)
        if status is not None:
            statement = statement.where(deliveries.c.status == status)
        return int(await self._db.scalar(statement) or 0)

    async def prune_deliveries(self, before: datetime) -> int:
        return await self._db.run(
            delete(deliveries).where(deliveries.c.status != "pending", deliveries.c.due_at < ts(before))
        )


def _schedule(row: Row[Any]) -> ScheduleRow:
    return ScheduleRow(
        user_id=row.user_id,
        kind=row.kind,
        local_time=row.local_time,
        days=row.days,
        window_start=row.window_start,
        window_end=row.window_end,
        every_minutes=row.every_minutes,
        next_due_at=dt(row.next_due_at),
        last_key=row.last_key,
        snoozed_kind=row.snoozed_kind,
        routine_id=row.routine_id,
        slot=row.slot,
    )


def _due(row: Row[Any], dailies: tuple[tuple[str, int], ...]) -> DueRow:
    return DueRow(
        schedule=_schedule(row),
        chat_id=row.chat_id,
        timezone=row.timezone,
        paused_until=dt(row.paused_until),
        last_finished_at=dt(row.last_finished_at),
        last_active_at=dt(row.last_active_at or None),
        last_routine_id=row.last_routine_id,
        dailies=dailies,
    )


def _delivery(row: Row[Any]) -> Delivery:
    due_at = dt(row.due_at)
    assert due_at is not None
    return Delivery(
        id=row.id,
        user_id=row.user_id,
        chat_id=row.chat_id,
        kind=row.kind,
        occurrence=row.occurrence,
        due_at=due_at,
        late_seconds=row.late_seconds,
        status=row.status,
        attempts=row.attempts,
        routine_id=row.routine_id,
        slot=row.slot,
    )

