"""One database, SQLite or PostgreSQL, behind SQLAlchemy's async engine.

:class:`Database` opens the engine, applies the migrations (under a lock on PostgreSQL, so
replicas starting together migrate once), and gives the repositories three ways to run SQL:
a single statement on its own (autocommit: no BEGIN/COMMIT round trips), or several inside
:meth:`Database.transaction`, which the repositories join when the caller already opened one in
the same task.

SQLite gets one connection (it allows one writer anyway; the pool hands it to one coroutine at a
time, so no statement lands inside another coroutine's transaction), WAL, and BEGIN IMMEDIATE
for transactions. PostgreSQL gets a small pool per process.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, CursorResult, Executable, Row, event, inspect, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: URL parameters passed on to asyncpg (libpq's sslmode arrives as ssl); others are refused with
#: a clear message rather than a traceback at connect time.
POSTGRES_PARAMETERS = {"ssl"}

#: pg_advisory_xact_lock key held while migrating: replicas starting together migrate once.
MIGRATION_LOCK = 0x4C696D62  # "Limb"


class StorageUnavailable(Exception):
    """The database cannot be opened or written; ``str()`` is one line, safe to print (it never
    holds a password)."""


def sqlite_url(path: Path | str) -> str:
    return f"sqlite+aiosqlite:///{path}"


def engine_url(url: str) -> URL:
    """The SQLAlchemy URL for what an operator wrote: ``postgres://`` and ``postgresql://``
    (as hosting platforms give them) run on asyncpg, ``sqlite:///`` on aiosqlite; libpq's
    ``sslmode`` is passed on as asyncpg's ``ssl``."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in {"postgres", "postgresql"}:
        query = dict(parsed.query)
        if "sslmode" in query:
            query["ssl"] = query.pop("sslmode")
        unknown = sorted(set(query) - POSTGRES_PARAMETERS)
        if unknown:
            raise ValueError(f"has parameters the bot does not understand: {', '.join(unknown)} (it takes sslmode)")
        return parsed.set(drivername="postgresql+asyncpg", query=query)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    raise ValueError("must start with postgresql:// (or sqlite:///)")


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        #: "sqlite" or "postgresql": the few dialect differences key on it (bot.storage.dialect).
        self.engine_name: str = engine.dialect.name
        self._held: ContextVar[tuple[AsyncConnection, asyncio.Task[Any] | None] | None] = ContextVar(
            f"limber-transaction-{id(self)}", default=None
        )
        if self.engine_name == "postgresql":
            self._single: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}
        else:
            self._single = {"limber_autocommit": True}
        #: SQLite: the one connection, held for the process's life (a pool checkout per
        #: statement cost more than the statement), and the lock that hands it to one
        #: coroutine, or one transaction, at a time.
        self._sqlite: AsyncConnection | None = None
        self._sqlite_lock = asyncio.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    async def open(cls, url: str | URL, *, migrate: bool = True) -> Database:
        """Connect, check the database can be written, and bring its schema up to date.

        Raises :class:`StorageUnavailable` with a one-line reason when it cannot."""
        url = engine_url(url) if isinstance(url, str) else url
        where = _describe(url)
        if url.get_backend_name() == "sqlite":
            _prepare_sqlite_folder(url)
            engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=300, pool_reset_on_return=None)
            _configure_sqlite(engine)
        else:
            engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
        database = cls(engine)
        try:
            await database.ping()
            if migrate:
                await database.migrate()
            if database.engine_name == "sqlite":
                database._sqlite = await engine.connect()
                await database._sqlite.execution_options(**database._single)
        except BaseException as exc:
            await engine.dispose()
            if isinstance(exc, (OSError, DBAPIError)):
                raise StorageUnavailable(f"{where}: {_reason(exc)}") from None
            raise
        return database

    async def close(self) -> None:
        if self._sqlite is not None:
            async with self._sqlite_lock:
                await self._sqlite.close()
                self._sqlite = None
        await self._engine.dispose()

    async def ping(self) -> None:
        """Reach the server (or file) with a trivial query."""
        async with self._connection() as conn:
            await conn.execute(text("SELECT 1"))

    async def migrate(self) -> None:
        """Apply every migration not applied yet, in one transaction (under an advisory lock on
        PostgreSQL: replicas starting at once wait for the first, then find nothing to do)."""
        async with self._engine.connect() as conn, conn.begin():
            if self.engine_name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await conn.run_sync(_upgrade)

    # -- running statements ---------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """Run several statements atomically. Repository calls made by the same task inside the
        block join it; other tasks are not let in (they wait on SQLite, run beside it on
        PostgreSQL)."""
        held = self._held.get()
        if held is not None and held[1] is asyncio.current_task():
            yield held[0]
            return
        if self._sqlite is not None:
            async with self._sqlite_transaction(self._sqlite) as conn:
                yield conn
            return
        async with self._engine.connect() as conn, conn.begin():
            token = self._held.set((conn, asyncio.current_task()))
            try:
                yield conn
            finally:
                self._held.reset(token)

    @asynccontextmanager
    async def _sqlite_transaction(self, conn: AsyncConnection) -> AsyncIterator[AsyncConnection]:
        async with self._sqlite_lock:
            # Statements run to their end on aiosqlite's thread even when the awaiting task is
            # cancelled; SQLAlchemy would then count the one connection as lost. So each one is
            # awaited to its end (the cancellation is raised after it), and whatever ends the
            # block early, a cancellation during BEGIN included, rolls the transaction back.
            token = self._held.set((conn, asyncio.current_task()))
            try:
                await _to_the_end(conn.exec_driver_sql("BEGIN IMMEDIATE"))
                yield conn
                await _to_the_end(conn.commit())
            except BaseException:
                await _to_the_end(conn.rollback())
                raise
            finally:
                self._held.reset(token)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        held = self._held.get()
        if held is not None and held[1] is asyncio.current_task():
            yield held[0]
            return
        if self._sqlite is not None:
            async with self._sqlite_lock:
                yield self._sqlite
            return
        async with self._engine.connect() as conn:
            yield await conn.execution_options(**self._single)

    async def fetch_all(
        self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None
    ) -> Sequence[Row[Any]]:
        """Rows a query returns (or an INSERT ... RETURNING, once per parameter set)."""
        if isinstance(params, Sequence) and not params:
            return []
        async with self._connection() as conn:
            return (await self._execute(conn, statement, params)).all()

    async def fetch_one(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Row[Any] | None:
        async with self._connection() as conn:
            return (await self._execute(conn, statement, params)).first()

    async def scalar(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        async with self._connection() as conn:
            return (await self._execute(conn, statement, params)).scalar()

    async def run(
        self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None
    ) -> int:
        """Execute a write (once, or once per parameter set); returns the rows it changed."""
        if isinstance(params, Sequence) and not params:
            return 0
        async with self._connection() as conn:
            return int((await self._execute(conn, statement, params)).rowcount)

    async def _execute(
        self,
        conn: AsyncConnection,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
    ) -> CursorResult[Any]:
        if self._sqlite is None:
            # PostgreSQL: a cancelled statement costs its pooled connection, which is replaced.
            return await conn.execute(statement, params)
        return await _to_the_end(conn.execute(statement, params))


async def _to_the_end(statement: Awaitable[T]) -> T:
    """Await ``statement``; if cancelled meanwhile, still wait for it to finish, then re-raise."""
    running = asyncio.ensure_future(statement)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        await asyncio.gather(running, return_exceptions=True)
        raise


# -- engine set-up -------------------------------------------------------------------------------


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We say when transactions begin (below), not the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Generous: only another process (a second start on the same file, migrating) contends.
        cursor.execute("PRAGMA busy_timeout = 30000")
        _switch_to_wal(cursor)
        for pragma in ("synchronous = NORMAL", "foreign_keys = ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("limber_autocommit"):
            return  # a single statement: SQLite commits it by itself
        conn.exec_driver_sql("BEGIN IMMEDIATE")


#: Switching a new file to WAL needs it to itself, and SQLite answers "locked" at once (the busy
#: timeout does not apply) while another connection is busy with it, e.g. replicas starting
#: together on an empty file: so try again, briefly.
WAL_ATTEMPTS = 40
WAL_PAUSE = 0.025


def _switch_to_wal(cursor: Any) -> None:
    """Put the database in WAL mode unless it is already (a file stays in WAL once switched)."""
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() == "wal":
        return
    for attempt in range(WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except Exception as exc:  # the driver's OperationalError, wrapped by the async adapter
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(WAL_PAUSE)  # at connect time only, and only while another one switches


def _prepare_sqlite_folder(url: URL) -> None:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = "a file is in the way" if isinstance(exc, FileExistsError) else exc.strerror
            raise StorageUnavailable(f"DATABASE_PATH {database}: cannot create the folder {folder} ({why})") from None


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    _adopt_first_release_schema(connection, config)
    command.upgrade(config, "head")


def _adopt_first_release_schema(connection: Connection, config: Config) -> None:
    """Databases written before Alembic kept their applied migrations in ``schema_migrations``
    under the names the first revisions carry: mark the last of them as applied, so Alembic
    upgrades the rest in place."""
    if connection.dialect.name != "sqlite":
        return  # releases before Alembic ran on SQLite only
    tables = inspect(connection).get_table_names()
    if "schema_migrations" not in tables or "alembic_version" in tables:
        return
    applied = {row[0] for row in connection.execute(text("SELECT name FROM schema_migrations"))}
    chain = [script.revision for script in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]
    done = [revision for revision in chain if revision in applied]
    if done:
        log.info("Adopting a database from an earlier release (at %s)", done[-1])
        command.stamp(config, done[-1])
    connection.execute(text("DROP TABLE schema_migrations"))


def _describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"DATABASE_PATH {url.database}"
    return f"DATABASE_URL (postgresql://{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''})"


def _reason(exc: BaseException) -> str:
    """Why a database cannot be used, in one line without secrets."""
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    name = type(original).__name__
    if "InvalidPassword" in name or "InvalidAuthorization" in name:
        return "the server refused the user name or password"
    if "InvalidCatalogName" in name:
        return "that database does not exist on the server"
    if isinstance(original, socket.gaierror):
        return "unknown host name"
    if isinstance(original, (ConnectionError, TimeoutError)) or "Connect" in name:
        return "no database server answers there"
    if isinstance(exc, (OperationalError, InterfaceError)):
        message = str(original).splitlines()[0] if str(original) else name
        return f"cannot open or write the database ({message})"
    if isinstance(original, OSError):
        return original.strerror or name
    return name
