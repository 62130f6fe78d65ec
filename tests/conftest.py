"""Shared fixtures: a fake Telegram server on 127.0.0.1, a manual clock, and the real bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import running
from bot.config import Settings
from bot.domain.clock import ManualClock
from bot.storage import sqlite_url
from tests.databases import PostgresServer, require, shared_server, under_ci
from tests.fake_telegram import TOKEN, FakeTelegram

# As the bot itself opts in (bot.app.running): python-telegram-bot's durations as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "true")

TEST_ROUTINES = Path(__file__).parent / "routines"
#: Long-poll length in tests: stopping the bot waits for the poll in flight.
POLL_TIMEOUT = 0.5


ENGINES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_engines: run the test on SQLite and on PostgreSQL (db_engine is the engine)"
    )
    config.addinivalue_line("markers", "postgresql_only: run the test on PostgreSQL only (several processes)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests that use a database run on SQLite; those marked ``both_engines`` on PostgreSQL too."""
    if "db_engine" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("postgresql_only") is not None:
            engines = ENGINES[1:]
        elif metafunc.definition.get_closest_marker("both_engines") is not None:
            engines = ENGINES
        else:
            engines = ENGINES[:1]
        metafunc.parametrize("db_engine", engines, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a PostgreSQL server, leave its tests out and say so once (under CI they stay in,
    and fail)."""
    on_postgres = [
        item for item in items
        if getattr(item, "callspec", None) is not None and item.callspec.params.get("db_engine") == "postgresql"
    ]
    if not on_postgres or under_ci() or shared_server().unavailable is None:
        return
    config.hook.pytest_deselected(items=on_postgres)
    items[:] = [item for item in items if item not in set(on_postgres)]
    config.stash[_SKIPPED_POSTGRES] = len(on_postgres)


_SKIPPED_POSTGRES = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    skipped = config.stash.get(_SKIPPED_POSTGRES, 0)
    if skipped:
        terminalreporter.write_line(f"PostgreSQL tests skipped ({skipped}): {shared_server().unavailable}")


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    return shared_server()


@pytest.fixture
def db_engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(db_engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """A fresh, empty database for one test: a SQLite file, or a PostgreSQL database of its own."""
    if db_engine == "sqlite":
        yield sqlite_url(tmp_path / "data" / "limber.sqlite3")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    require(server)
    url = server.create()
    yield url
    server.drop(url)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    api = FakeTelegram()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_settings(
    tmp_path: Path, telegram: FakeTelegram, db_engine: str, database_url: str
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": TOKEN,
            "database_path": tmp_path / "data" / "limber.sqlite3",
            "database_url": database_url if db_engine == "postgresql" else None,
            "routines_dir": TEST_ROUTINES,
            "telegram_base_url": telegram.base_url,
            # Sweep often in real time; the manual clock decides what is due.
            "session_tick_seconds": 0.02,
            "reminder_sweep_seconds": 0.02,
            # Telegram's rate limits are off unless a test is about them: pacing real seconds
            # between messages would only make the suite slow.
            "send_rate_per_second": 0,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def shipped_routines() -> None:
    """``routines_dir`` for the routines shipped with the bot (its package data)."""
    return None


@pytest.fixture
async def bot(make_settings: Callable[..., Settings], clock: ManualClock) -> AsyncIterator[Any]:
    """The real application, polling the fake server, driven by the manual clock."""
    async with running(make_settings(), clock, poll_timeout=POLL_TIMEOUT) as application:
        yield application
