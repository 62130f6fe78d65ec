"""A PostgreSQL database of its own for one benchmark run, created empty and dropped after."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy import make_url

#: The project's local service (trust authentication); --database-url names another.
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


async def _admin(server: str, sql: str) -> None:
    url = make_url(server)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """The URL of a new, empty database on ``server`` (dropped when the block ends). Call it from
    synchronous code (it runs its own event loop)."""
    name = f"limber_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
