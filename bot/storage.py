"""Everything the bot keeps, and every SQL statement that reads or writes it.

One aiosqlite connection is the only writer (WAL allows one anyway). Because coroutines share
it, every statement runs under one asyncio lock, and multi-statement work goes through
:meth:`Storage.transaction`, so no coroutine's statement lands inside another's transaction.

Times are stored as UTC epoch seconds (REAL), which index and compare cheaply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.reach import CONVENTION, Landmark, Measurement, Reach
from bot.domain.session import Session, Status

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
    (
        "0002_reminders",
        """
        ALTER TABLE users ADD COLUMN timezone TEXT;
        ALTER TABLE users ADD COLUMN timezone_hint_sent INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN blocked_at REAL;
        ALTER TABLE users ADD COLUMN paused_until REAL;
        ALTER TABLE users ADD COLUMN moved_at REAL;
        CREATE INDEX users_by_chat ON users(chat_id);
        -- What a user asked to be reminded of, in local wall-clock terms, and when it is next due.
        CREATE TABLE schedules (
            user_id       INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            kind          TEXT NOT NULL CHECK (kind IN ('daily', 'nudge', 'snooze')),
            local_time    TEXT,
            days          INTEGER NOT NULL DEFAULT 31,
            window_start  TEXT,
            window_end    TEXT,
            every_minutes INTEGER,
            next_due_at   REAL,
            last_key      TEXT,
            PRIMARY KEY (user_id, kind)
        );
        -- What the reminder sweep asks: which schedules are due.
        CREATE INDEX schedules_due ON schedules(next_due_at) WHERE next_due_at IS NOT NULL;
        -- One row per occurrence that was claimed for sending; the unique key makes a second
        -- claim of the same occurrence impossible.
        CREATE TABLE deliveries (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id      INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            chat_id      INTEGER NOT NULL,
            kind         TEXT NOT NULL,
            occurrence   TEXT NOT NULL,
            due_at       REAL NOT NULL,
            late_seconds REAL NOT NULL DEFAULT 0,
            status       TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'sending', 'sent', 'blocked', 'failed',
                                           'unknown', 'expired')),
            attempts     INTEGER NOT NULL DEFAULT 0,
            sent_at      REAL,
            message_id   INTEGER,
            UNIQUE (user_id, occurrence)
        );
        CREATE INDEX deliveries_pending ON deliveries(due_at) WHERE status = 'pending';
        """,
    ),
    (
        "0003_measurements",
        """
        ALTER TABLE sessions ADD COLUMN awaiting_answer_until REAL;
        -- Reach measurements: a distance in cm (convention stored alongside) and/or a landmark.
        CREATE TABLE measurements (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            session_id  INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
            taken_at    REAL NOT NULL,
            value_cm    REAL,
            landmark    TEXT,
            phase       TEXT NOT NULL CHECK (phase IN ('before', 'after', 'single')),
            convention  TEXT NOT NULL,
            CHECK (value_cm IS NOT NULL OR landmark IS NOT NULL)
        );
        CREATE INDEX measurements_by_user ON measurements(user_id, taken_at);
        """,
    ),
    (
        "0004_snoozed_kind",
        """
        -- A snooze remembers what it postpones ('daily' or 'nudge'), so it comes back as that.
        ALTER TABLE schedules ADD COLUMN snoozed_kind TEXT;
        """,
    ),
    (
        "0005_intake_chats_cards",
        """
        -- Every update from Telegram, recorded before it is confirmed, so a crash loses no input
        -- and an update delivered twice is handled once.
        CREATE TABLE inbox (
            update_id   INTEGER PRIMARY KEY,
            user_id     INTEGER,
            payload     TEXT NOT NULL,
            received_at REAL NOT NULL,
            status      TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'done', 'unreadable'))
        );
        CREATE INDEX inbox_pending ON inbox(update_id) WHERE status = 'pending';
        CREATE INDEX inbox_by_age ON inbox(received_at);
        -- Chats other than a user's private chat (groups), apart from users.
        CREATE TABLE chats (
            chat_id    INTEGER PRIMARY KEY,
            kind       TEXT NOT NULL,
            title      TEXT NOT NULL DEFAULT '',
            status     TEXT NOT NULL,
            updated_at REAL NOT NULL
        );
        -- Pose cards that never reached the user: the summary counts only what was shown.
        ALTER TABLE sessions ADD COLUMN cards_missed INTEGER NOT NULL DEFAULT 0;
        -- The message a measurement came from: handling that message again after a crash
        -- does not store it twice.
        ALTER TABLE measurements ADD COLUMN source TEXT;
        CREATE UNIQUE INDEX measurements_once_per_source ON measurements(user_id, source)
            WHERE source IS NOT NULL;
        -- A user's private chat is the user (Telegram gives them the same id). Earlier releases
        -- stored whichever chat the user wrote from last, a group included: undo that, and the
        -- blocks and group-bound deliveries that followed from it.
        UPDATE users SET blocked_at = NULL WHERE chat_id < 0;
        UPDATE users SET chat_id = user_id WHERE chat_id != user_id;
        UPDATE sessions SET chat_id = user_id WHERE chat_id < 0 AND status = 'active';
        UPDATE deliveries SET chat_id = user_id WHERE chat_id < 0 AND status = 'pending';
        """,
    ),
]


#: Every table that holds rows about a user (by its user_id column), and how to order an export.
#: Children first, so deleting in this order never trips a foreign key.
USER_TABLES = {
    "measurements": "taken_at, id",
    "deliveries": "due_at, id",
    "schedules": "kind",
    "sessions": "started_at, id",
    "users": "user_id",
}


class StaleWrite(Exception):
    """A row changed under us since it was read (its version moved on)."""


@dataclass(frozen=True, slots=True)
class DueSession:
    session_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    chat_id: int
    first_name: str
    timezone: str | None
    timezone_hint_sent: bool
    blocked_at: datetime | None
    paused_until: datetime | None
    moved_at: datetime | None


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """A schedule as stored: local wall-clock terms plus the next UTC instant it is due."""

    user_id: int
    kind: str
    local_time: str | None
    days: int
    window_start: str | None
    window_end: str | None
    every_minutes: int | None
    next_due_at: datetime | None
    last_key: str | None = None
    #: For a snooze: the kind of reminder it postpones.
    snoozed_kind: str | None = None


@dataclass(frozen=True, slots=True)
class DueRow:
    """A due schedule joined with what deciding about it needs to know of its user."""

    schedule: ScheduleRow
    chat_id: int
    timezone: str | None
    paused_until: datetime | None
    last_finished_at: datetime | None
    last_active_at: datetime | None


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of deciding about one due schedule, to be written atomically."""

    user_id: int
    kind: str
    was_due_at: datetime
    next_due_at: datetime | None
    #: Set when the occurrence goes out: (chat_id, occurrence key, late by seconds, what kind
    #: of message it is: 'daily', 'nudge', 'snooze' or 'snooze-nudge').
    delivery: tuple[int, str, float, str] | None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    user_id: int
    chat_id: int
    kind: str
    occurrence: str
    due_at: datetime
    late_seconds: float
    status: str
    attempts: int


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
            try:
                # A statement runs to its end on aiosqlite's thread even when the task awaiting
                # it is cancelled: wait for BEGIN and COMMIT to finish, so a cancellation (at
                # shutdown) can never leave the connection inside a transaction.
                await _to_the_end(self._db.execute("BEGIN IMMEDIATE"))
                try:
                    yield
                    await _to_the_end(self._db.execute("COMMIT"))
                except BaseException:
                    if self._db.in_transaction:
                        await _to_the_end(self._db.execute("ROLLBACK"))
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

    async def _execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        async with self._statement() as db:
            cursor = await db.executemany(sql, rows)
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
        async with self._statement() as db, db.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def _fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._fetch_all(sql, params)
        return rows[0] if rows else None

    # -- users ---------------------------------------------------------------------------------

    async def upsert_user(self, user_id: int, first_name: str, now: datetime) -> None:
        """Create or refresh a user. Their chat is always their private chat, which Telegram
        gives the user's own id: using the bot in a group never redirects their reminders."""
        await self._execute(
            """
            INSERT INTO users (user_id, chat_id, first_name, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET
                first_name = excluded.first_name,
                updated_at = excluded.updated_at
            """,
            (user_id, user_id, first_name[:64], _ts(now), _ts(now)),
        )

    async def get_user(self, user_id: int) -> User | None:
        row = await self._fetch_one("SELECT * FROM users WHERE user_id = ?", (user_id,))
        if row is None:
            return None
        return User(
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            first_name=row["first_name"],
            timezone=row["timezone"],
            timezone_hint_sent=bool(row["timezone_hint_sent"]),
            blocked_at=_dt(row["blocked_at"]),
            paused_until=_dt(row["paused_until"]),
            moved_at=_dt(row["moved_at"]),
        )

    async def set_timezone(self, user_id: int, zone: str) -> None:
        await self._execute("UPDATE users SET timezone = ? WHERE user_id = ?", (zone, user_id))

    async def mark_timezone_hint_sent(self, user_id: int) -> None:
        await self._execute("UPDATE users SET timezone_hint_sent = 1 WHERE user_id = ?", (user_id,))

    async def set_paused_until(self, user_id: int, until: datetime | None) -> None:
        await self._execute("UPDATE users SET paused_until = ? WHERE user_id = ?", (_ts(until), user_id))

    async def set_moved_at(self, user_id: int, moment: datetime) -> None:
        await self._execute("UPDATE users SET moved_at = ? WHERE user_id = ?", (_ts(moment), user_id))

    async def set_blocked(self, user_id: int, blocked_at: datetime | None) -> bool:
        """Mark a user as having blocked the bot (or not); False if we do not know them. While
        blocked, their schedules are parked (next_due_at NULL) so sweeps do not even look at
        them."""
        async with self.transaction():
            known = await self._execute(
                "UPDATE users SET blocked_at = ? WHERE user_id = ?", (_ts(blocked_at), user_id)
            )
            if blocked_at is not None:
                await self._execute("UPDATE schedules SET next_due_at = NULL WHERE user_id = ?", (user_id,))
        return known > 0

    async def blocked_users(self) -> set[int]:
        rows = await self._fetch_all("SELECT user_id FROM users WHERE blocked_at IS NOT NULL")
        return {row["user_id"] for row in rows}

    # -- group chats ---------------------------------------------------------------------------

    async def set_chat_status(
        self, chat_id: int, kind: str | None, title: str | None, status: str, now: datetime
    ) -> None:
        """Remember a group's state (member, left, kicked...); a kind or title not given keeps
        what is known. Users are not touched."""
        await self._execute(
            """
            INSERT INTO chats (chat_id, kind, title, status, updated_at)
            VALUES (?, COALESCE(?, 'group'), COALESCE(?, ''), ?, ?)
            ON CONFLICT (chat_id) DO UPDATE SET
                kind = COALESCE(?, kind), title = COALESCE(?, title), status = excluded.status,
                updated_at = excluded.updated_at
            """,
            (chat_id, kind, title[:128] if title else title, status, _ts(now), kind, title[:128] if title else title),
        )

    async def parked_users(self) -> list[int]:
        """Users not blocked whose reminders are parked anyway (a block that was undone
        without a reschedule, e.g. by a migration)."""
        rows = await self._fetch_all(
            """
            SELECT DISTINCT s.user_id FROM schedules s JOIN users u ON u.user_id = s.user_id
            WHERE s.kind != 'snooze' AND s.next_due_at IS NULL AND u.blocked_at IS NULL
            """
        )
        return [row["user_id"] for row in rows]

    async def chat_status(self, chat_id: int) -> str | None:
        row = await self._fetch_one("SELECT status FROM chats WHERE chat_id = ?", (chat_id,))
        return row["status"] if row else None

    # -- measurements --------------------------------------------------------------------------

    async def add_measurement(
        self,
        user_id: int,
        session_id: int | None,
        taken_at: datetime,
        reach: Reach,
        phase: str,
        source: str | None = None,
    ) -> bool:
        """Store a measurement; False if one from the same ``source`` (the message it was
        typed in) is already stored."""
        return await self._execute(
            """
            INSERT INTO measurements
                (user_id, session_id, taken_at, value_cm, landmark, phase, convention, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, source) WHERE source IS NOT NULL DO NOTHING
            """,
            (
                user_id, session_id, _ts(taken_at), reach.cm,
                reach.landmark.value if reach.landmark else None, phase, CONVENTION, source,
            ),
        ) == 1

    async def measurements_of(self, user_id: int, session_id: int | None = None) -> list[Measurement]:
        sql = "SELECT * FROM measurements WHERE user_id = ?"
        params: tuple[Any, ...] = (user_id,)
        if session_id is not None:
            sql += " AND session_id = ?"
            params += (session_id,)
        rows = await self._fetch_all(sql + " ORDER BY taken_at, id", params)
        return [
            Measurement(
                taken_at=_dt(row["taken_at"]) or datetime.now(UTC),
                reach=Reach(cm=row["value_cm"], landmark=Landmark(row["landmark"]) if row["landmark"] else None),
                phase=row["phase"],
                session_id=row["session_id"],
            )
            for row in rows
        ]

    async def finished_session_times(self, user_id: int) -> list[datetime]:
        rows = await self._fetch_all(
            "SELECT ended_at FROM sessions WHERE user_id = ? AND status = 'finished' ORDER BY ended_at",
            (user_id,),
        )
        return [moment for row in rows if (moment := _dt(row["ended_at"])) is not None]

    async def export_rows(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every stored row that belongs to the user, table by table, as plain dicts."""
        result: dict[str, list[dict[str, Any]]] = {}
        for table, order in USER_TABLES.items():
            rows = await self._fetch_all(f"SELECT * FROM {table} WHERE user_id = ? ORDER BY {order}", (user_id,))
            result[table] = [dict(row) for row in rows]
        return result

    async def forget_user(self, user_id: int) -> None:
        """Delete everything stored about a user, in every table."""
        async with self.transaction():
            for table in USER_TABLES:
                await self._execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            # Raw updates kept for crash recovery hold their words too (the one being handled
            # now included: it has done its work).
            await self._execute("DELETE FROM inbox WHERE user_id = ?", (user_id,))

    # -- inbox: updates from Telegram ------------------------------------------------------------

    async def record_updates(self, updates: list[tuple[int, int | None, str]], now: datetime) -> list[int]:
        """Store (update_id, user_id, payload) rows not seen before, in one transaction; returns
        the ids that are new (an update Telegram delivers again is not handled again)."""
        if not updates:
            return []
        updates = list({row[0]: row for row in updates}.values())  # a batch may repeat one
        ids = [update_id for update_id, _, _ in updates]
        async with self.transaction():
            marks = ", ".join("?" for _ in ids)
            seen = {
                row["update_id"]
                for row in await self._fetch_all(f"SELECT update_id FROM inbox WHERE update_id IN ({marks})", ids)
            }
            fresh = [row for row in updates if row[0] not in seen]
            await self._execute_many(
                "INSERT INTO inbox (update_id, user_id, payload, received_at) VALUES (?, ?, ?, ?)",
                [(update_id, user_id, payload, _ts(now)) for update_id, user_id, payload in fresh],
            )
        return [row[0] for row in fresh]

    async def unhandled_updates(self) -> list[tuple[int, str]]:
        """Updates recorded but not handled when the process stopped, oldest first."""
        rows = await self._fetch_all(
            "SELECT update_id, payload FROM inbox WHERE status = 'pending' ORDER BY update_id"
        )
        return [(row["update_id"], row["payload"]) for row in rows]

    async def finish_updates(self, update_ids: list[int], status: str = "done") -> None:
        await self._execute_many(
            "UPDATE inbox SET status = ? WHERE update_id = ?", [(status, update_id) for update_id in update_ids]
        )

    async def prune_inbox(self, before: datetime) -> int:
        return await self._execute(
            "DELETE FROM inbox WHERE status != 'pending' AND received_at < ?", (_ts(before),)
        )

    # -- schedules -----------------------------------------------------------------------------

    async def save_schedule(self, row: ScheduleRow) -> None:
        await self._execute(
            """
            INSERT INTO schedules (user_id, kind, local_time, days, window_start, window_end,
                                   every_minutes, next_due_at, snoozed_kind)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, kind) DO UPDATE SET
                local_time = excluded.local_time, days = excluded.days,
                window_start = excluded.window_start, window_end = excluded.window_end,
                every_minutes = excluded.every_minutes, next_due_at = excluded.next_due_at,
                snoozed_kind = excluded.snoozed_kind
            """,
            (
                row.user_id, row.kind, row.local_time, row.days, row.window_start,
                row.window_end, row.every_minutes, _ts(row.next_due_at), row.snoozed_kind,
            ),
        )

    async def delete_schedule(self, user_id: int, kind: str) -> bool:
        return await self._execute(
            "DELETE FROM schedules WHERE user_id = ? AND kind = ?", (user_id, kind)
        ) > 0

    async def schedules_of(self, user_id: int) -> list[ScheduleRow]:
        rows = await self._fetch_all("SELECT * FROM schedules WHERE user_id = ? ORDER BY kind", (user_id,))
        return [_schedule(row) for row in rows]

    async def due_schedules(self, now: datetime, limit: int) -> list[DueRow]:
        rows = await self._fetch_all(
            """
            SELECT s.*, u.chat_id, u.timezone, u.paused_until,
                (SELECT MAX(ended_at) FROM sessions
                  WHERE user_id = s.user_id AND status = 'finished') AS last_finished_at,
                MAX(COALESCE((SELECT MAX(started_at) FROM sessions WHERE user_id = s.user_id), 0),
                    COALESCE((SELECT MAX(ended_at) FROM sessions WHERE user_id = s.user_id), 0),
                    COALESCE(u.moved_at, 0)) AS last_active_at
            FROM schedules s JOIN users u ON u.user_id = s.user_id
            WHERE s.next_due_at IS NOT NULL AND s.next_due_at <= ? AND u.blocked_at IS NULL
            ORDER BY s.next_due_at LIMIT ?
            """,
            (_ts(now), limit),
        )
        return [
            DueRow(
                schedule=_schedule(row),
                chat_id=row["chat_id"],
                timezone=row["timezone"],
                paused_until=_dt(row["paused_until"]),
                last_finished_at=_dt(row["last_finished_at"]),
                last_active_at=_dt(row["last_active_at"] or None),
            )
            for row in rows
        ]

    async def claim(self, claims: list[Claim]) -> int:
        """Move each schedule on and queue its delivery, all in one transaction.

        A delivery is queued only if its schedule is still due at the instant it was read,
        then the schedule moves on only from that instant (compare and set); a delivery for an
        occurrence already claimed is ignored by its unique key. So overlapping sweeps or a
        restart cannot queue one occurrence twice. Both steps are batched (one statement each
        for the whole list). Returns how many deliveries were queued.
        """
        deliveries = [
            (c.user_id, c.delivery[0], c.delivery[3], c.delivery[1], _ts(c.was_due_at), c.delivery[2],
             c.user_id, c.kind, _ts(c.was_due_at))
            for c in claims
            if c.delivery is not None
        ]
        moves = [
            (_ts(c.next_due_at), c.delivery[1] if c.delivery else None, c.user_id, c.kind, _ts(c.was_due_at))
            for c in claims
        ]
        async with self.transaction():
            queued = await self._execute_many(
                """
                INSERT OR IGNORE INTO deliveries (user_id, chat_id, kind, occurrence, due_at, late_seconds)
                SELECT ?, ?, ?, ?, ?, ?
                WHERE EXISTS (SELECT 1 FROM schedules
                              WHERE user_id = ? AND kind = ? AND next_due_at = ?)
                """,
                deliveries,
            )
            await self._execute_many(
                """
                UPDATE schedules SET next_due_at = ?, last_key = COALESCE(?, last_key)
                WHERE user_id = ? AND kind = ? AND next_due_at = ?
                """,
                moves,
            )
            await self._execute("DELETE FROM schedules WHERE kind = 'snooze' AND next_due_at IS NULL")
        return queued

    # -- deliveries ----------------------------------------------------------------------------

    async def pending_deliveries(self, limit: int) -> list[Delivery]:
        rows = await self._fetch_all(
            "SELECT * FROM deliveries WHERE status = 'pending' ORDER BY due_at, id LIMIT ?", (limit,)
        )
        return [_delivery(row) for row in rows]

    async def get_delivery(self, delivery_id: int) -> Delivery | None:
        row = await self._fetch_one("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))
        return _delivery(row) if row else None

    async def delivery_message(self, delivery_id: int) -> int | None:
        row = await self._fetch_one("SELECT message_id FROM deliveries WHERE id = ?", (delivery_id,))
        return row["message_id"] if row else None

    async def mark_deliveries(self, ids: list[int], status: str) -> None:
        """Set the status of several deliveries in one transaction (e.g. 'sending')."""
        async with self.transaction():
            for delivery_id in ids:
                await self._execute(
                    "UPDATE deliveries SET status = ?, attempts = attempts + (? = 'sending') WHERE id = ?",
                    (status, status, delivery_id),
                )

    async def finish_delivery(
        self, delivery_id: int, status: str, sent_at: datetime | None = None, message_id: int | None = None
    ) -> None:
        await self._execute(
            "UPDATE deliveries SET status = ?, sent_at = ?, message_id = ? WHERE id = ?",
            (status, _ts(sent_at), message_id, delivery_id),
        )

    async def settle_interrupted_deliveries(self) -> int:
        """At start-up: deliveries that were mid-send when the process died may or may not have
        reached the user. They are not sent again (no duplicates); they are marked unknown."""
        return await self._execute("UPDATE deliveries SET status = 'unknown' WHERE status = 'sending'")

    async def expire_pending_deliveries(self, due_before: datetime) -> int:
        """At start-up: queued reminders that are now too late to be worth sending."""
        return await self._execute(
            "UPDATE deliveries SET status = 'expired' WHERE status = 'pending' AND due_at < ?",
            (_ts(due_before),),
        )

    async def count_deliveries(self, status: str | None = None) -> int:
        row = await self._fetch_one(
            "SELECT COUNT(*) AS n FROM deliveries" + (" WHERE status = ?" if status else ""),
            (status,) if status else (),
        )
        return int(row["n"]) if row else 0

    async def prune_deliveries(self, before: datetime) -> int:
        return await self._execute(
            "DELETE FROM deliveries WHERE status != 'pending' AND due_at < ?", (_ts(before),)
        )

    # -- sessions ------------------------------------------------------------------------------

    async def insert_session(self, session: Session, next_event_at: datetime | None) -> Session:
        """Store a new active session; raises ``sqlite3.IntegrityError`` if one is active."""
        columns = ", ".join(_SESSION_COLUMNS)
        marks = ", ".join("?" for _ in _SESSION_COLUMNS)
        session_id = await self._insert(
            f"INSERT INTO sessions (user_id, chat_id, routine_id, started_at, {columns}, version) "
            f"VALUES (?, ?, ?, ?, {marks}, 0)",
            (session.user_id, session.chat_id, session.routine_id, _ts(session.started_at),
             *_session_values(session, next_event_at)),
        )
        return _replace_ids(session, session_id, 0)

    async def save_session(self, session: Session, next_event_at: datetime | None) -> Session:
        """Write a changed session back; raises :class:`StaleWrite` if it changed meanwhile."""
        assert session.id is not None
        assignments = ", ".join(f"{column} = ?" for column in _SESSION_COLUMNS)
        changed = await self._execute(
            f"UPDATE sessions SET {assignments}, version = version + 1 WHERE id = ? AND version = ?",
            (*_session_values(session, next_event_at), session.id, session.version),
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

    async def set_pose_message(
        self, session_id: int, message_id: int | None, step_index: int | None = None
    ) -> bool:
        """Remember which message carries the current pose's buttons, only while the session
        is still at ``step_index`` if given; True if stored. No version bump: it changes no
        timing, and session saves never write this column."""
        sql = "UPDATE sessions SET pose_message_id = ? WHERE id = ? AND status = 'active'"
        params: tuple[Any, ...] = (message_id, session_id)
        if step_index is not None:
            sql += " AND step_index = ?"
            params += (step_index,)
        return await self._execute(sql, params) == 1

    async def count_missed_card(self, session_id: int) -> None:
        await self._execute("UPDATE sessions SET cards_missed = cards_missed + 1 WHERE id = ?", (session_id,))

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


async def _to_the_end(statement: Awaitable[object]) -> None:
    """Await ``statement``; if cancelled meanwhile, still wait for it to finish, then re-raise."""
    running = asyncio.ensure_future(statement)
    try:
        await asyncio.shield(running)
    except asyncio.CancelledError:
        await asyncio.gather(running, return_exceptions=True)
        raise


# -- row mapping ---------------------------------------------------------------------------------


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


#: The session columns that change over its life, in the order _session_values gives them.
_SESSION_COLUMNS = (
    "status", "step_index", "clock_started_at", "remaining", "halfway_sent", "active_seconds",
    "steps_done", "steps_skipped", "next_event_at", "updated_at", "ended_at",
    "awaiting_answer_until",
)


def _session_values(session: Session, next_event_at: datetime | None) -> tuple[Any, ...]:
    return (
        session.status.value,
        session.step_index,
        _ts(session.clock_started_at),
        session.remaining,
        int(session.halfway_sent),
        session.active_seconds,
        session.steps_done,
        session.steps_skipped,
        _ts(next_event_at),
        _ts(session.updated_at),
        _ts(session.ended_at),
        _ts(session.awaiting_answer_until),
    )


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
        cards_missed=row["cards_missed"],
        pose_message_id=row["pose_message_id"],
        started_at=started_at,
        updated_at=updated_at,
        ended_at=_dt(row["ended_at"]),
        awaiting_answer_until=_dt(row["awaiting_answer_until"]),
    )


def _schedule(row: aiosqlite.Row) -> ScheduleRow:
    return ScheduleRow(
        user_id=row["user_id"],
        kind=row["kind"],
        local_time=row["local_time"],
        days=row["days"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        every_minutes=row["every_minutes"],
        next_due_at=_dt(row["next_due_at"]),
        last_key=row["last_key"],
        snoozed_kind=row["snoozed_kind"],
    )


def _delivery(row: aiosqlite.Row) -> Delivery:
    due_at = _dt(row["due_at"])
    assert due_at is not None
    return Delivery(
        id=row["id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        kind=row["kind"],
        occurrence=row["occurrence"],
        due_at=due_at,
        late_seconds=row["late_seconds"],
        status=row["status"],
        attempts=row["attempts"],
    )


def _replace_ids(session: Session, session_id: int, version: int) -> Session:
    return replace(session, id=session_id, version=version)


def _statements(sql: str) -> list[str]:
    """Split a migration script into statements: comment lines dropped first, then split on
    ';' (our scripts never put ';' inside a string literal)."""
    code = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [part.strip() for part in code.split(";") if part.strip()]
