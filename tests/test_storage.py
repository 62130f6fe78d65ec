"""The database on both engines: schema created and upgraded at start-up (once, even with several
replicas starting together), one active session per user, stale writes refused, transactions
atomic; and an SQLite file from an earlier release upgraded in place."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.domain import session as machine
from bot.services.repositories import AlreadyActive, StaleWrite
from bot.storage import Database, Repositories, StorageUnavailable, sqlite_url
from bot.storage.database import MIGRATIONS
from bot.storage.tables import metadata
from tests.legacy_schema import write_legacy_database
from tests.test_session import ROUTINE

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[Repositories]:
    db = await Database.open(database_url)
    stores = Repositories.over(db)
    await stores.users.upsert_user(7, "Alex", T0)
    yield stores
    await db.close()


async def applied_revision(db: Database) -> str | None:
    return await db.scalar(text("SELECT version_num FROM alembic_version"))  # type: ignore[no-any-return]


@pytest.mark.both_engines
async def test_opening_migrates_to_the_newest_schema_once(database_url: str) -> None:
    first = await Database.open(database_url)
    await first.close()
    again = await Database.open(database_url)
    try:
        assert await applied_revision(again) == head_revision()
    finally:
        await again.close()


@pytest.mark.both_engines
async def test_the_migrated_schema_is_the_one_the_code_uses(database_url: str) -> None:
    """Migrations and tables.py describe the same tables, columns, types and indexes."""
    db = await Database.open(database_url)
    try:
        async with db.transaction() as conn:
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata)
            )
    finally:
        await db.close()
    assert differences == []


def _migrate(to: str, down: bool = False):  # type: ignore[no-untyped-def]
    def run(connection) -> None:  # type: ignore[no-untyped-def]
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, to)
    return run


@pytest.mark.both_engines
async def test_a_reminder_set_before_several_a_day_keeps_its_time_and_is_not_sent_twice(database_url: str) -> None:
    """The upgrade to several daily reminders names the existing one by its time and keeps
    today's occurrence marked as sent; a second reminder then fits beside it."""
    db = await Database.open(database_url, migrate=False)
    try:
        async with db.transaction() as conn:
            await conn.run_sync(_migrate("0011_user_language"))
            await conn.execute(text("INSERT INTO users (user_id, chat_id, first_name, created_at, updated_at) "
                                    "VALUES (7, 7, 'Alex', 0, 0)"))
            await conn.execute(text("INSERT INTO schedules (user_id, kind, local_time, days, last_key, next_due_at) "
                                    "VALUES (7, 'daily', '12:30', 31, 'daily:2026-03-02', 5)"))
            await conn.execute(text("INSERT INTO schedules (user_id, kind, days, next_due_at, snoozed_kind) "
                                    "VALUES (7, 'snooze', 0, 6, 'daily')"))
            await conn.execute(text(
                "INSERT INTO deliveries (user_id, chat_id, kind, occurrence, due_at) VALUES "
                "(7, 7, 'daily', 'daily:2026-03-02', 5), (7, 7, 'nudge', 'nudge:2026-03-02T10:00', 4)"
            ))
            await conn.run_sync(_migrate("head"))
            sent = (await conn.execute(text("SELECT kind, slot FROM deliveries ORDER BY kind"))).all()
            assert [tuple(row) for row in sent] == [("daily", "12:30"), ("nudge", "")]
        stores = Repositories.over(db)
        kept, snoozed = await stores.schedules.schedules_of(7)
        assert (kept.slot, kept.last_key) == ("12:30", "daily:2026-03-02T12:30")
        assert snoozed.slot == "12:30"  # its reminder's: removing that reminder drops it too
        await stores.schedules.delete_schedule(7, "snooze")
        await stores.schedules.save_schedule(replace(kept, slot="15:00", local_time="15:00", last_key=None))
        assert [row.slot for row in await stores.schedules.schedules_of(7)] == ["12:30", "15:00"]
        async with db.transaction() as conn:  # and back: the earliest one stays
            await conn.run_sync(_migrate("0011_user_language", down=True))
            rows = (await conn.execute(text("SELECT local_time, last_key FROM schedules"))).all()
            assert [tuple(row) for row in rows] == [("12:30", "daily:2026-03-02")]
    finally:
        await db.close()


@pytest.mark.both_engines
async def test_replicas_starting_together_on_an_empty_database_all_come_up(database_url: str) -> None:
    """Four processes' worth of engines open one empty database at the same moment: the
    migrations run once (under a lock), and every one of them starts."""
    opened = await asyncio.gather(*(Database.open(database_url) for _ in range(4)))
    try:
        for db in opened:
            assert await applied_revision(db) == head_revision()
    finally:
        for db in opened:
            await db.close()


async def test_sqlite_runs_in_wal_mode_and_creates_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "limber.sqlite3"
    db = await Database.open(sqlite_url(path))
    await db.close()
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.both_engines
async def test_a_session_round_trips_and_is_found_when_due(storage: Repositories) -> None:
    session, _ = machine.start(ROUTINE, 7, 7, T0)
    stored = await storage.sessions.insert_session(session, session.next_event_at(ROUTINE))
    assert stored.id is not None
    assert await storage.sessions.get_session(stored.id) == stored
    due_at = session.next_event_at(ROUTINE)
    assert due_at is not None and due_at > T0
    assert await storage.sessions.due_sessions(due_at - timedelta(seconds=1), 10) == []
    due = await storage.sessions.due_sessions(due_at, 10)
    assert [d.session_id for d in due] == [stored.id]


@pytest.mark.both_engines
async def test_only_one_active_session_per_user(storage: Repositories) -> None:
    session, _ = machine.start(ROUTINE, 7, 7, T0)
    await storage.sessions.insert_session(session, None)
    with pytest.raises(AlreadyActive):
        await storage.sessions.insert_session(session, None)


@pytest.mark.both_engines
async def test_a_stale_write_is_refused(storage: Repositories) -> None:
    session, _ = machine.start(ROUTINE, 7, 7, T0)
    stored = await storage.sessions.insert_session(session, None)
    await storage.sessions.save_session(machine.pause(stored, T0 + timedelta(seconds=3)), None)
    with pytest.raises(StaleWrite):
        await storage.sessions.save_session(replace(stored, steps_done=5), None)


@pytest.mark.both_engines
async def test_a_failed_transaction_leaves_nothing_behind(storage: Repositories) -> None:
    session, _ = machine.start(ROUTINE, 7, 7, T0)
    with pytest.raises(RuntimeError):
        async with storage.db.transaction():
            await storage.sessions.insert_session(session, None)
            raise RuntimeError("crash mid-way")
    assert await storage.sessions.active_session(7) is None


@pytest.mark.both_engines
async def test_forgetting_a_user_leaves_no_row_about_them(storage: Repositories) -> None:
    session, _ = machine.start(ROUTINE, 7, 7, T0)
    await storage.sessions.insert_session(session, None)
    await storage.users.upsert_user(8, "Sam", T0)
    await storage.inbox.record_updates([(1, 7, "{}"), (2, 8, "{}")], T0)
    await storage.user_data.forget_user(7)
    exported = await storage.user_data.export_rows(7)
    assert all(rows == [] for rows in exported.values())
    assert await storage.inbox.unhandled_updates() == [(2, "{}")]
    assert (await storage.users.get_user(8)) is not None


async def test_a_database_from_the_first_release_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    write_legacy_database(path, applied=1)  # the first release's very first schema
    with sqlite3.connect(path) as old:
        old.execute(
            "INSERT INTO users (user_id, chat_id, first_name, created_at, updated_at) VALUES (7, 7, 'Alex', ?, ?)",
            (T0.timestamp(), T0.timestamp()),
        )
        old.execute(  # a session row as the first release wrote it (no later columns)
            "INSERT INTO sessions (user_id, chat_id, routine_id, status, step_index, remaining, "
            "started_at, updated_at) VALUES (7, 7, 'three', 'active', 1, 5.0, ?, ?)",
            (T0.timestamp(), T0.timestamp()),
        )
    old.close()

    db = await Database.open(sqlite_url(path))
    try:
        stores = Repositories.over(db)
        kept = await stores.sessions.active_session(7)
        assert kept is not None and kept.step_index == 1 and kept.awaiting_answer_until is None
        user = await stores.users.get_user(7)
        assert user is not None and user.first_name == "Alex" and user.timezone is None
        assert await applied_revision(db) == head_revision()
        # It keeps working as a new one: a second session after the first ends, a measurement.
        assert await stores.measurements.measurements_of(7) == []
    finally:
        await db.close()
    with sqlite3.connect(path) as plain:
        tables = {row[0] for row in plain.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    plain.close()
    assert "schema_migrations" not in tables  # Alembic keeps the record now


async def test_users_wrongly_bound_to_a_group_are_repaired_and_their_reminders_revived(tmp_path: Path) -> None:
    """Earlier releases stored a group as a user's chat, and blocked the user (parking their
    reminders) when the bot left that group. The upgrade points them back at their private chat,
    lifts the block, and start-up puts their reminders back on the clock."""
    from bot.domain.clock import ManualClock
    from bot.domain.routines import load_routines
    from bot.services.reminders import Reminders

    path = tmp_path / "old.sqlite3"
    write_legacy_database(path, applied=4)
    with sqlite3.connect(path) as old:
        old.execute(
            "INSERT INTO users (user_id, chat_id, first_name, created_at, updated_at, blocked_at) "
            "VALUES (7, -1001234, 'Alex', ?, ?, ?)",
            (T0.timestamp(), T0.timestamp(), T0.timestamp()),
        )
        old.execute(
            "INSERT INTO schedules (user_id, kind, local_time, days, next_due_at) "
            "VALUES (7, 'daily', '12:30', 31, NULL)"
        )
    old.close()

    db = await Database.open(sqlite_url(path))
    try:
        stores = Repositories.over(db)
        user = await stores.users.get_user(7)
        assert user is not None and user.chat_id == 7 and user.blocked_at is None
        service = Reminders(
            users=stores.users, schedules=stores.schedules, deliveries=stores.deliveries, routines=load_routines(),
            messenger=None, clock=ManualClock(T0), default_zone="UTC",  # type: ignore[arg-type]
        )
        assert await service.revive_parked() == 1
        (schedule,) = await stores.schedules.schedules_of(7)
        assert schedule.next_due_at is not None and schedule.slot == "12:30"
        assert await service.revive_parked() == 0
    finally:
        await db.close()
    # Copying the reminders' table (to key it by slot) kept what the old file declared inline.
    with sqlite3.connect(path) as upgraded:
        assert [row[6] for row in upgraded.execute("PRAGMA foreign_key_list(schedules)")] == ["CASCADE"]
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            upgraded.execute("INSERT INTO schedules (user_id, kind, slot) VALUES (7, 'weekly', 'x')")
    upgraded.close()


async def test_a_database_path_that_cannot_be_created_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    path = tmp_path / "a-file" / "limber.sqlite3"
    with pytest.raises(StorageUnavailable) as raised:
        await Database.open(sqlite_url(path))
    assert str(raised.value) == (
        f"DATABASE_PATH {path}: cannot create the folder {path.parent} (a file is in the way)"
    )


async def test_a_database_path_that_cannot_be_opened_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "limber.sqlite3"
    path.mkdir()  # a folder where the file should be (file permissions would not stop root)
    with pytest.raises(StorageUnavailable) as raised:
        await Database.open(sqlite_url(path))
    assert str(raised.value) == (
        f"DATABASE_PATH {path}: cannot open or write the database (unable to open database file)"
    )


async def test_an_unreachable_server_is_one_clear_error_without_the_password() -> None:
    with pytest.raises(StorageUnavailable) as raised:
        await Database.open("postgresql://limber:hunter2@127.0.0.1:9/limber")  # port 9: nothing listens
    assert str(raised.value) == (
        "DATABASE_URL (postgresql://127.0.0.1:9/limber): no database server answers there"
    )


SLOW = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c")


async def cancel_mid_way(db: Database, work: asyncio.Task[object]) -> None:
    """Cancel ``work`` while its slow statement runs on aiosqlite's thread (it holds the one
    connection's lock from just before the statement until it ends)."""
    while not db._sqlite_lock.locked():  # noqa: ASYNC110 - polling the lock it does not own
        await asyncio.sleep(0)
    # The slow statement takes about a second; cancelling a little after it began lands in it
    # (were it ever to land elsewhere, the test would pass without proving much, never fail).
    await asyncio.sleep(0.1)
    work.cancel()
    with pytest.raises(asyncio.CancelledError):
        await work


async def test_a_cancelled_statement_leaves_the_sqlite_connection_usable(tmp_path: Path) -> None:
    """A health check timing out, or a shutdown cutting work off, cancels statements mid-way; the
    one SQLite connection must go on working (no 'pending rollback', no transaction left open)."""
    threads_before = set(threading.enumerate())
    db = await Database.open(sqlite_url(tmp_path / "db.sqlite3"))
    try:
        stores = Repositories.over(db)
        await cancel_mid_way(db, asyncio.create_task(db.scalar(SLOW)))

        async def transaction_cut_short() -> None:
            async with db.transaction():
                await stores.users.upsert_user(1, "lost", T0)
                await db.scalar(SLOW)

        await cancel_mid_way(db, asyncio.create_task(transaction_cut_short()))
        await stores.users.upsert_user(2, "kept", T0)
        async with db.transaction():
            await stores.users.upsert_user(3, "kept too", T0)
        assert await stores.users.get_user(1) is None  # rolled back with its transaction
    finally:
        await db.close()
        # A statement cut short runs on in its discarded connection's thread until it ends, then
        # answers this test's event loop: let it, before the loop closes (else the thread meets
        # a closed loop, and a later test is blamed for its error).
        for thread in set(threading.enumerate()) - threads_before:
            await asyncio.to_thread(thread.join, 10)
    with sqlite3.connect(tmp_path / "db.sqlite3") as plain:  # committed, as a new process sees it
        assert [row[0] for row in plain.execute("SELECT user_id FROM users ORDER BY user_id")] == [2, 3]
    plain.close()


async def test_many_engines_opening_one_new_sqlite_file_at_once_never_find_it_locked(tmp_path: Path) -> None:
    """Switching a new file to WAL answers "locked" at once while another connection is at it
    (no busy timeout there): replicas starting together on an empty file used to fail now and
    then. Twelve rounds of eight: before the fix, about one round in ten failed."""
    from bot.storage import sqlite_url

    for round_number in range(12):
        url = sqlite_url(tmp_path / f"round{round_number}" / "limber.sqlite3")
        opened = await asyncio.gather(*(Database.open(url) for _ in range(8)), return_exceptions=True)
        for db in opened:
            if isinstance(db, Database):
                await db.close()
        assert [repr(error) for error in opened if isinstance(error, BaseException)] == []
