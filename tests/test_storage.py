"""The database: schema created and migrated at start-up, safe to re-run, one active session."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain import session as machine
from bot.storage import MIGRATIONS, StaleWrite, Storage
from tests.test_session import ROUTINE

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def storage(tmp_path: Path):
    store = await Storage.open(tmp_path / "nested" / "db.sqlite3")
    await store.upsert_user(7, "Alex", T0)
    yield store
    await store.close()


async def test_open_creates_folder_and_reopening_migrates_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "limber.sqlite3"
    first = await Storage.open(path)
    await first.close()
    again = await Storage.open(path)
    rows = await again._fetch_all("SELECT name FROM schema_migrations")
    await again.close()
    assert [row["name"] for row in rows] == [name for name, _ in MIGRATIONS]
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_session_round_trips_and_is_found_when_due(storage: Storage) -> None:
    session, _ = machine.start(ROUTINE, 7, 7, T0)
    stored = await storage.insert_session(session, session.next_event_at(ROUTINE))
    assert stored.id is not None
    assert await storage.get_session(stored.id) == stored
    assert await storage.due_sessions(T0 + timedelta(seconds=14), 10) == []
    due = await storage.due_sessions(T0 + timedelta(seconds=15), 10)
    assert [d.session_id for d in due] == [stored.id]


async def test_only_one_active_session_per_user(storage: Storage) -> None:
    session, _ = machine.start(ROUTINE, 7, 7, T0)
    await storage.insert_session(session, None)
    with pytest.raises(sqlite3.IntegrityError):
        await storage.insert_session(session, None)


async def test_a_stale_write_is_refused(storage: Storage) -> None:
    session, _ = machine.start(ROUTINE, 7, 7, T0)
    stored = await storage.insert_session(session, None)
    await storage.save_session(machine.pause(stored, T0 + timedelta(seconds=3)), None)
    with pytest.raises(StaleWrite):
        await storage.save_session(replace(stored, steps_done=5), None)


async def test_a_failed_transaction_leaves_nothing_behind(storage: Storage) -> None:
    session, _ = machine.start(ROUTINE, 7, 7, T0)
    with pytest.raises(RuntimeError):
        async with storage.transaction():
            await storage.insert_session(session, None)
            raise RuntimeError("crash mid-way")
    assert await storage.active_session(7) is None


async def test_a_database_from_an_older_version_is_migrated_in_place(tmp_path: Path, monkeypatch) -> None:
    import bot.storage as storage_module

    path = tmp_path / "old.sqlite3"
    monkeypatch.setattr(storage_module, "MIGRATIONS", MIGRATIONS[:1])  # the first release's schema
    old = await Storage.open(path)
    await old.upsert_user(7, "Alex", T0)
    session, _ = machine.start(ROUTINE, 7, 7, T0)
    await old._execute(  # a session row as the first release wrote it (no later columns)
        "INSERT INTO sessions (user_id, chat_id, routine_id, status, step_index, remaining, "
        "started_at, updated_at) VALUES (7, 7, 'three', 'active', 1, 5.0, ?, ?)",
        (T0.timestamp(), T0.timestamp()),
    )
    await old.close()

    monkeypatch.setattr(storage_module, "MIGRATIONS", MIGRATIONS)
    upgraded = await Storage.open(path)
    try:
        kept = await upgraded.active_session(7)
        assert kept is not None and kept.step_index == 1 and kept.awaiting_answer_until is None
        user = await upgraded.get_user(7)
        assert user is not None and user.first_name == "Alex" and user.timezone is None
        applied = await upgraded._fetch_all("SELECT name FROM schema_migrations ORDER BY name")
        assert [row["name"] for row in applied] == [name for name, _ in MIGRATIONS]
    finally:
        await upgraded.close()


async def test_users_wrongly_bound_to_a_group_are_repaired_and_their_reminders_revived(
    tmp_path: Path, monkeypatch
) -> None:
    """Earlier releases stored a group as a user's chat, and blocked the user (parking their
    reminders) when the bot left that group. The upgrade points them back at their private chat,
    lifts the block, and start-up puts their reminders back on the clock."""
    import bot.storage as storage_module
    from bot.domain.clock import ManualClock
    from bot.domain.routines import load_routines
    from bot.services.reminders import Reminders

    path = tmp_path / "old.sqlite3"
    monkeypatch.setattr(storage_module, "MIGRATIONS", MIGRATIONS[:4])
    old = await Storage.open(path)
    await old._execute(
        "INSERT INTO users (user_id, chat_id, first_name, created_at, updated_at, blocked_at) "
        "VALUES (7, -1001234, 'Alex', ?, ?, ?)",
        (T0.timestamp(), T0.timestamp(), T0.timestamp()),
    )
    await old._execute(
        "INSERT INTO schedules (user_id, kind, local_time, days, next_due_at) VALUES (7, 'daily', '12:30', 31, NULL)"
    )
    await old.close()

    monkeypatch.setattr(storage_module, "MIGRATIONS", MIGRATIONS)
    upgraded = await Storage.open(path)
    try:
        user = await upgraded.get_user(7)
        assert user is not None and user.chat_id == 7 and user.blocked_at is None
        service = Reminders(upgraded, load_routines(), None, ManualClock(T0), "UTC")  # type: ignore[arg-type]
        assert await service.revive_parked() == 1
        (schedule,) = await upgraded.schedules_of(7)
        assert schedule.next_due_at is not None
        assert await service.revive_parked() == 0
    finally:
        await upgraded.close()
