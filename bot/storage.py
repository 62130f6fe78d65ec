"""Everything the bot keeps, and every SQL statement that reads or writes it.

One aiosqlite connection is the only writer (WAL allows one anyway). Because coroutines share
it, every statement runs under one asyncio lock, and multi-statement work goes through
:meth:`Storage.transaction`, so no coroutine's statement lands inside another's transaction.

Times are stored as UTC epoch seconds (REAL), which index and compare cheaply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.session import Session, Status

log = logging.getLogger(__name__)

#: Named migrations, applied in order, each once. Never edit one that has shipped: add another.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_users_and_sessions",
        """
        CREATE TABLE users (
            user_id     INTEGER PRIMARY KEY,
            chat_id     INTEGER NOT NULL,
            first_name  TEXT NOT NULL DEFAULT '',
            created_at  REAL NOT NULL,
            updated_at  REAL NOT NULL
        );
        CREATE TABLE sessions (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id          INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            chat_id          INTEGER NOT NULL,
            routine_id       TEXT NOT NULL,
            status           TEXT NOT NULL
                             CHECK (status IN ('active', 'finished', 'stopped', 'abandoned')),
            step_index       INTEGER NOT NULL,
            clock_started_at REAL,
            remaining        REAL NOT NULL,
            halfway_sent     INTEGER NOT NULL DEFAULT 0,
            active_seconds   REAL NOT NULL DEFAULT 0,
            steps_done       INTEGER NOT NULL DEFAULT 0,
            steps_skipped    INTEGER NOT NULL DEFAULT 0,
            pose_message_id  INTEGER,
            next_event_at    REAL,
            started_at       REAL NOT NULL,
            updated_at       REAL NOT NULL,
            ended_at         REAL,
            version          INTEGER NOT NULL DEFAULT 0
        );
        -- One active session per user, enforced by the database itself.
        CREATE UNIQUE INDEX sessions_one_active ON sessions(user_id) WHERE status = 'active';
        -- What the session sweep asks every second: which running sessions are due.
        CREATE INDEX sessions_due ON sessions(next_event_at)
            WHERE status = 'active' AND next_event_at IS NOT NULL;
        CREATE INDEX sessions_by_user ON sessions(user_id, started_at);
        """,
    ),
]


class StaleWrite(Exception):
    """A row changed under us since it was read (its version moved on)."""


@dataclass(frozen=True, slots=True)
class DueSession:
    session_id: int
    user_id: int


class Storage:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection
        self._lock = asyncio.Lock()
        self._transaction_owner: asyncio.Task[Any] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str) -> Storage:
        """Open (creating folders and schema as needed) and migrate the database."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            connection.row_factory = aiosqlite.Row
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            await connection.execute("PRAGMA busy_timeout = 5000")
            storage = cls(connection)
            await storage._migrate()
        except BaseException:
            await connection.close()
            raise
        return storage

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)"
        )
        async with self._db.execute("SELECT name FROM schema_migrations") as cursor:
            applied = {row["name"] for row in await cursor.fetchall()}
        for name, sql in MIGRATIONS:
            if name in applied:
                continue
            log.info("Applying database migration %s", name)
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(sql):
                    await self._db.execute(statement)
                await self._db.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (name, datetime.now(UTC).timestamp()),
                )
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise

    # -- plumbing ------------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Run several statements atomically; other coroutines wait until it commits."""
        async with self._lock:
            self._transaction_owner = asyncio.current_task()
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            finally:
                self._transaction_owner = None

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[aiosqlite.Connection]:
        # The task that opened a transaction already holds the lock; every other task waits.
        if self._transaction_owner is not None and self._transaction_owner is asyncio.current_task():
            yield self._db
            return
        async with self._lock:
            yield self._db

    async def _execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        async with self._statement() as db:
            cursor = await db.execute(sql, tuple(params))
            rowcount = cursor.rowcount
            await cursor.close()
            return rowcount

    async def _insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        async with self._statement() as db:
            cursor = await db.execute(sql, tuple(params))
            row_id = cursor.lastrowid
            await cursor.close()
            assert row_id is not None
            return row_id

    async def _fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._statement() as db:
            async with db.execute(sql, tuple(params)) as cursor:
                return list(await cursor.fetchall())

    async def _fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._fetch_all(sql, params)
        return rows[0] if rows else None

    # -- users ---------------------------------------------------------------------------------

    async def upsert_user(self, user_id: int, chat_id: int, first_name: str, now: datetime) -> None:
        await self._execute(
            """
            INSERT INTO users (user_id, chat_id, first_name, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET
                chat_id = excluded.chat_id,
                first_name = excluded.first_name,
                updated_at = excluded.updated_at
            """,
            (user_id, chat_id, first_name[:64], _ts(now), _ts(now)),
        )

    async def user_exists(self, user_id: int) -> bool:
        return await self._fetch_one("SELECT 1 FROM users WHERE user_id = ?", (user_id,)) is not None

    # -- sessions ------------------------------------------------------------------------------

    async def insert_session(self, session: Session, next_event_at: datetime | None) -> Session:
        """Store a new active session; raises ``sqlite3.IntegrityError`` if one is active."""
        session_id = await self._insert(
            """
            INSERT INTO sessions (user_id, chat_id, routine_id, status, step_index,
                clock_started_at, remaining, halfway_sent, active_seconds, steps_done,
                steps_skipped, pose_message_id, next_event_at, started_at, updated_at,
                ended_at, version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
            """,
            (
                session.user_id,
                session.chat_id,
                session.routine_id,
                session.status.value,
                session.step_index,
                _ts(session.clock_started_at),
                session.remaining,
                int(session.halfway_sent),
                session.active_seconds,
                session.steps_done,
                session.steps_skipped,
                session.pose_message_id,
                _ts(next_event_at),
                _ts(session.started_at),
                _ts(session.updated_at),
                _ts(session.ended_at),
            ),
        )
        return _replace_ids(session, session_id, 0)

    async def save_session(self, session: Session, next_event_at: datetime | None) -> Session:
        """Write a changed session back; raises :class:`StaleWrite` if it changed meanwhile."""
        assert session.id is not None
        changed = await self._execute(
            """
            UPDATE sessions SET status = ?, step_index = ?, clock_started_at = ?, remaining = ?,
                halfway_sent = ?, active_seconds = ?, steps_done = ?, steps_skipped = ?,
                pose_message_id = ?, next_event_at = ?, updated_at = ?, ended_at = ?,
                version = version + 1
            WHERE id = ? AND version = ?
            """,
            (
                session.status.value,
                session.step_index,
                _ts(session.clock_started_at),
                session.remaining,
                int(session.halfway_sent),
                session.active_seconds,
                session.steps_done,
                session.steps_skipped,
                session.pose_message_id,
                _ts(next_event_at),
                _ts(session.updated_at),
                _ts(session.ended_at),
                session.id,
                session.version,
            ),
        )
        if changed != 1:
            raise StaleWrite(f"session {session.id} changed since version {session.version}")
        return _replace_ids(session, session.id, session.version + 1)

    async def get_session(self, session_id: int) -> Session | None:
        row = await self._fetch_one("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return _session(row) if row else None

    async def active_session(self, user_id: int) -> Session | None:
        row = await self._fetch_one(
            "SELECT * FROM sessions WHERE user_id = ? AND status = 'active'", (user_id,)
        )
        return _session(row) if row else None

    async def active_sessions(self) -> list[Session]:
        rows = await self._fetch_all("SELECT * FROM sessions WHERE status = 'active' ORDER BY id")
        return [_session(row) for row in rows]

    async def due_sessions(self, now: datetime, limit: int) -> list[DueSession]:
        rows = await self._fetch_all(
            """
            SELECT id, user_id FROM sessions
            WHERE status = 'active' AND next_event_at IS NOT NULL AND next_event_at <= ?
            ORDER BY next_event_at LIMIT ?
            """,
            (_ts(now), limit),
        )
        return [DueSession(row["id"], row["user_id"]) for row in rows]

    async def set_pose_message(self, session_id: int, message_id: int) -> None:
        """Remember which message carries the current pose's buttons (no version bump: it
        changes no timing, and only the session's own lock holder writes it)."""
        await self._execute(
            "UPDATE sessions SET pose_message_id = ? WHERE id = ?", (message_id, session_id)
        )

    async def postpone_session(self, session_id: int, until: datetime) -> None:
        await self._execute(
            "UPDATE sessions SET next_event_at = ? WHERE id = ? AND status = 'active'",
            (_ts(until), session_id),
        )

    async def stale_sessions(self, updated_before: datetime) -> list[Session]:
        rows = await self._fetch_all(
            "SELECT * FROM sessions WHERE status = 'active' AND updated_at < ?",
            (_ts(updated_before),),
        )
        return [_session(row) for row in rows]


# -- row mapping ---------------------------------------------------------------------------------


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _session(row: aiosqlite.Row) -> Session:
    started_at = _dt(row["started_at"])
    updated_at = _dt(row["updated_at"])
    assert started_at is not None and updated_at is not None
    return Session(
        id=row["id"],
        version=row["version"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        routine_id=row["routine_id"],
        status=Status(row["status"]),
        step_index=row["step_index"],
        clock_started_at=_dt(row["clock_started_at"]),
        remaining=row["remaining"],
        halfway_sent=bool(row["halfway_sent"]),
        active_seconds=row["active_seconds"],
        steps_done=row["steps_done"],
        steps_skipped=row["steps_skipped"],
        pose_message_id=row["pose_message_id"],
        started_at=started_at,
        updated_at=updated_at,
        ended_at=_dt(row["ended_at"]),
    )


def _replace_ids(session: Session, session_id: int, version: int) -> Session:
    return replace(session, id=session_id, version=version)


def _statements(sql: str) -> list[str]:
    """Split a migration script into statements (our scripts never put ';' inside strings)."""
    return [part.strip() for part in sql.split(";") if part.strip()]
