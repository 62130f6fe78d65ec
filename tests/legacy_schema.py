"""The schema as releases before Alembic wrote it, migration by migration, with the table that
recorded them: what an operator's existing SQLite file looks like before it is upgraded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: Named migrations of the home-made runner, in order (the first release shipped 0001-0004).
LEGACY_MIGRATIONS: list[tuple[str, str]] = [
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


def write_legacy_database(path: Path, applied: int) -> None:
    """A SQLite file at the state of the first ``applied`` legacy migrations."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)")
        for name, sql in LEGACY_MIGRATIONS[:applied]:
            db.executescript(sql)
            db.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, 0)", (name,))
    db.close()
