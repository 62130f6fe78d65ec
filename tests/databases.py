"""Test databases: a SQLite file per test, or a PostgreSQL database per test on the server at
``TEST_DATABASE_URL`` (default: the local service, postgresql://postgres@127.0.0.1:5432/test).

Each PostgreSQL test gets a database of its own, named after this run, created empty and
dropped afterwards, so no test depends on data an earlier one left. Where no server answers,
PostgreSQL tests skip with one line saying why; under CI (``CI=true``) they fail instead, so a
missing server cannot hide.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy import make_url

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
RUN = uuid.uuid4().hex[:8]

T = TypeVar("T")


def server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER


def _in_thread(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to its end on a loop of its own (fixtures may run inside a test's loop)."""
    result: list[Any] = []

    def work() -> None:
        try:
            result.append(asyncio.run(make()))  # type: ignore[arg-type]
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]  # type: ignore[no-any-return]


class PostgresServer:
    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._count = 0
        self.unavailable: str | None = None
        try:
            _in_thread(lambda: self._admin("SELECT 1"))
        except Exception as exc:  # any failure means "no server here"
            where = f"{self.url.host}:{self.url.port or 5432}"
            self.unavailable = f"no PostgreSQL server answers at {where} ({type(exc).__name__}); set TEST_DATABASE_URL"

    async def _admin(self, sql: str) -> None:
        connection = await asyncpg.connect(
            host=self.url.host, port=self.url.port or 5432, user=self.url.username,
            password=self.url.password, database=self.url.database, timeout=5,
        )
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    def create(self) -> str:
        """A new, empty database; returns its URL."""
        self._count += 1
        name = f"limber_test_{RUN}_{self._count}"
        _in_thread(lambda: self._admin(f'CREATE DATABASE "{name}"'))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        _in_thread(lambda: self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@functools.cache
def shared_server() -> PostgresServer:
    """The one server of this test run (probed once)."""
    return PostgresServer(server_url())


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(server: PostgresServer) -> None:
    """Skip (or, under CI, fail) a PostgreSQL test when no server answers."""
    if server.unavailable is None:
        return
    if under_ci():
        pytest.fail(f"PostgreSQL tests must run under CI: {server.unavailable}")
    pytest.skip(f"PostgreSQL tests skipped: {server.unavailable}")
