"""Guided sessions: one row per session, changed under an optimistic version check.

A session is claimed by the write, not by a lock: the clock and a button press both read it,
decide, and save with ``version = :read``; the second save finds the version moved on and
raises :class:`StaleWrite`, so the loser sends nothing. With several replicas only the leader
runs the session clock, and the same check keeps a hand-over from advancing a session twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.domain.session import Phase, Session, Status
from bot.services.repositories import AlreadyActive, CheckInRecord, DueSession, FinishedSession, StaleWrite
from bot.storage.database import Database
from bot.storage.tables import sessions
from bot.storage.times import dt, ts

_ACTIVE = sessions.c.status == "active"


class SessionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Built once: the session clock runs these for every pose of every session. The SET
        # clause of _save comes from the parameters given (the changing columns).
        self._save = (
            update(sessions)
            .where(sessions.c.id == bindparam("s_id"), sessions.c.version == bindparam("s_version"))
            .values(version=sessions.c.version + 1)
        )
        self._get = select(sessions).where(sessions.c.id == bindparam("s_id"))
        self._pose_message = update(sessions).where(
            sessions.c.id == bindparam("s_id"), _ACTIVE, sessions.c.step_index == bindparam("s_step")
        )

    async def insert_session(self, session: Session, next_event_at: datetime | None) -> Session:
        """Store a new active session; raises :class:`AlreadyActive` if one is active."""
        values = {
            "user_id": session.user_id,
            "chat_id": session.chat_id,
            "routine_id": session.routine_id,
            "started_at": ts(session.started_at),
            "version": 0,
            **_changing(session, next_event_at),
        }
        try:
            session_id = await self._db.scalar(insert(sessions).values(values).returning(sessions.c.id))
        except IntegrityError:
            raise AlreadyActive(f"user {session.user_id} already has an active session") from None
        return replace(session, id=int(session_id), version=0)

    async def save_session(self, session: Session, next_event_at: datetime | None) -> Session:
        """Write a changed session back; raises :class:`StaleWrite` if it changed meanwhile."""
        assert session.id is not None
        changed = await self._db.run(
            self._save, {**_changing(session, next_event_at), "s_id": session.id, "s_version": session.version}
        )
        if changed != 1:
            raise StaleWrite(f"session {session.id} changed since version {session.version}")
        return replace(session, version=session.version + 1)

    async def get_session(self, session_id: int) -> Session | None:
        row = await self._db.fetch_one(self._get, {"s_id": session_id})
        return _session(row) if row else None

    async def active_session(self, user_id: int) -> Session | None:
        row = await self._db.fetch_one(
            select(sessions).where(sessions.c.user_id == bindparam("user_id"), _ACTIVE), {"user_id": user_id}
        )
        return _session(row) if row else None

    async def has_sessions(self, user_id: int) -> bool:
        """Whether the user ever started a routine (that /forget has not erased)."""
        found = await self._db.scalar(select(sessions.c.id).where(sessions.c.user_id == user_id).limit(1))
        return found is not None

    async def count_active(self) -> int:
        return int(await self._db.scalar(select(func.count()).select_from(sessions).where(_ACTIVE)) or 0)

    async def active_sessions(self) -> list[Session]:
        rows = await self._db.fetch_all(select(sessions).where(_ACTIVE).order_by(sessions.c.id))
        return [_session(row) for row in rows]

    async def due_sessions(self, now: datetime, limit: int) -> list[DueSession]:
        rows = await self._db.fetch_all(
            select(sessions.c.id, sessions.c.user_id)
            .where(_ACTIVE, sessions.c.next_event_at.is_not(None), sessions.c.next_event_at <= bindparam("now"))
            .order_by(sessions.c.next_event_at)
            .limit(bindparam("limit")),
            {"now": ts(now), "limit": limit},
        )
        return [DueSession(row.id, row.user_id) for row in rows]

    async def set_pose_message(self, session_id: int, message_id: int, step_index: int) -> bool:
        """Remember which message carries the current pose's buttons, only while the session
        is still at ``step_index``; True if stored. No version bump: it changes no timing, and
        session saves never write this column."""
        return await self._db.run(
            self._pose_message, {"s_id": session_id, "s_step": step_index, "pose_message_id": message_id}
        ) == 1

    async def take_pose_message(self, session_id: int) -> int | None:
        """Forget which message carries the session's buttons, returning it (to clear them):
        read and cleared under one lock, so a card recorded meanwhile is not missed."""
        async with self._db.transaction():
            message_id = await self._db.scalar(
                select(sessions.c.pose_message_id).where(sessions.c.id == session_id).with_for_update()
            )
            if message_id is not None:
                await self._db.run(update(sessions).where(sessions.c.id == session_id).values(pose_message_id=None))
        return int(message_id) if message_id is not None else None

    async def count_missed_card(self, session_id: int) -> None:
        await self._db.run(
            update(sessions).where(sessions.c.id == session_id).values(cards_missed=sessions.c.cards_missed + 1)
        )

    async def postpone_session(self, session_id: int, until: datetime) -> None:
        await self._db.run(update(sessions).where(sessions.c.id == session_id, _ACTIVE).values(next_event_at=ts(until)))

    async def stale_sessions(self, updated_before: datetime) -> list[Session]:
        rows = await self._db.fetch_all(
            select(sessions).where(_ACTIVE, sessions.c.updated_at < ts(updated_before))
        )
        return [_session(row) for row in rows]

    async def finished_sessions(self, user_id: int) -> list[FinishedSession]:
        rows = await self._db.fetch_all(
            select(sessions.c.ended_at, sessions.c.routine_id, sessions.c.active_seconds)
            .where(sessions.c.user_id == user_id, sessions.c.status == "finished")
            .order_by(sessions.c.ended_at)
        )
        return [
            FinishedSession(moment, row.routine_id, float(row.active_seconds))
            for row in rows
            if (moment := dt(row.ended_at)) is not None
        ]

    async def record_feeling(self, user_id: int, session_id: int, feeling: str) -> bool:
        """Store the check-in of one of the user's ended sessions; False if there is none, or
        it already says so (a double tap)."""
        return await self._db.run(
            update(sessions)
            .where(
                sessions.c.id == session_id,
                sessions.c.user_id == user_id,
                ~_ACTIVE,
                or_(sessions.c.feeling.is_(None), sessions.c.feeling != feeling),
            )
            .values(feeling=feeling)
        ) == 1

    async def check_ins(self, user_id: int) -> list[CheckInRecord]:
        rows = await self._db.fetch_all(
            select(sessions.c.ended_at, sessions.c.routine_id, sessions.c.feeling)
            .where(sessions.c.user_id == user_id, sessions.c.feeling.is_not(None))
            .order_by(sessions.c.ended_at)
        )
        return [
            CheckInRecord(moment, row.routine_id, row.feeling)
            for row in rows
            if (moment := dt(row.ended_at)) is not None
        ]

    async def last_feeling(self, user_id: int, routine_id: str) -> str | None:
        """The check-in of the user's latest ended session of ``routine_id`` (None: no answer)."""
        feeling = await self._db.scalar(
            select(sessions.c.feeling)
            .where(sessions.c.user_id == user_id, sessions.c.routine_id == routine_id, ~_ACTIVE)
            .order_by(sessions.c.ended_at.desc())
            .limit(1)
        )
        return str(feeling) if feeling is not None else None


def _changing(session: Session, next_event_at: datetime | None) -> dict[str, Any]:
    """The columns that change over a session's life."""
    return {
        "status": session.status.value,
        "step_index": session.step_index,
        "clock_started_at": ts(session.clock_started_at),
        "remaining": session.remaining,
        "halfway_sent": int(session.halfway_sent),
        "active_seconds": session.active_seconds,
        "steps_done": session.steps_done,
        "steps_skipped": session.steps_skipped,
        "next_event_at": ts(next_event_at),
        "updated_at": ts(session.updated_at),
        "ended_at": ts(session.ended_at),
        "awaiting_answer_until": ts(session.awaiting_answer_until),
        "reach_answered": int(session.reach_answered),
        "phase": session.phase.value,
        "extras_done": session.extras_done,
        "shown_left": session.shown_left,
    }


def _session(row: Row[Any]) -> Session:
    started_at = dt(row.started_at)
    updated_at = dt(row.updated_at)
    assert started_at is not None and updated_at is not None
    return Session(
        id=row.id,
        version=row.version,
        user_id=row.user_id,
        chat_id=row.chat_id,
        routine_id=row.routine_id,
        status=Status(row.status),
        step_index=row.step_index,
        clock_started_at=dt(row.clock_started_at),
        remaining=row.remaining,
        halfway_sent=bool(row.halfway_sent),
        active_seconds=row.active_seconds,
        steps_done=row.steps_done,
        steps_skipped=row.steps_skipped,
        cards_missed=row.cards_missed,
        pose_message_id=row.pose_message_id,
        started_at=started_at,
        updated_at=updated_at,
        ended_at=dt(row.ended_at),
        awaiting_answer_until=dt(row.awaiting_answer_until),
        reach_answered=bool(row.reach_answered),
        phase=Phase(row.phase),
        extras_done=row.extras_done,
        shown_left=row.shown_left,
    )
