"""The database: the engine for a URL, binding every table to it, write transactions, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import logging
import re
import sqlite3
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from piccolo.apps.migrations.commands.check import CheckMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

from portal.db.sqlite_lock import WriteLock

if TYPE_CHECKING:
    import aiosqlite

log = logging.getLogger("portal.db")
T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_S = 30
# A dead or unreachable PostgreSQL must cost a request a moment, not asyncpg's default minute.
CONNECT_TIMEOUT_S = 2
RETRY_AFTER_S = 5
# Connections kept open for reuse; more are opened while more queries run at once, then closed.
SQLITE_IDLE_CONNECTIONS = 16
POSTGRES_POOL_SIZE = 10
# A statement that writes: it starts with one of these words, or with a WITH clause that leads to one.
_SQLITE_WRITE_RE = re.compile(r"\s*(?:WITH\b.*?\b)?(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE | re.DOTALL)


def is_sqlite_write(query: str) -> bool:
    """Whether a statement run outside a transaction must queue on the engine's write lock. A read
    that merely mentions such a word after WITH queues too: harmless, only slower."""
    return _SQLITE_WRITE_RE.match(query) is not None


class MigrationError(RuntimeError):
    """Migrations could not be applied; the message says which and why."""


class DatabaseUnavailable(Exception):
    """The database (or the disk under it or under the data directory) cannot serve the request now;
    a retry later may succeed. `full` says the disk is full, not the database away."""

    def __init__(self, cause: str, *, full: bool = False) -> None:
        super().__init__(cause)
        self.cause = cause
        self.full = full
        self.retry_after = RETRY_AFTER_S


# SQLSTATE classes and codes that mean "not now", not "this statement is wrong": connection
# exceptions (08), insufficient resources (53: too many connections, disk full), operator
# intervention (57: shutdown, cannot connect now), and a database that is gone or closed (3D000, 55000).
_PG_UNAVAILABLE = ("08", "53", "57", "3D000")
_SQLITE_UNAVAILABLE = ("unable to open database", "disk i/o error", "database or disk is full", "readonly database")


def unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """The outage behind a driver's or the system's error, or None when it is an ordinary failure."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    if isinstance(exc, OSError) and exc.errno in {errno.ENOSPC, errno.EDQUOT}:
        return DatabaseUnavailable("no space left on the disk", full=True)
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc).lower()
        if any(words in message for words in _SQLITE_UNAVAILABLE):
            return DatabaseUnavailable(f"SQLite: {exc}", full="full" in message)
        return None
    from asyncpg import exceptions as pg

    if isinstance(exc, pg.PostgresError):
        state = getattr(exc, "sqlstate", "") or ""
        if state == "53100":
            return DatabaseUnavailable(f"PostgreSQL: {exc}", full=True)
        if state.startswith(_PG_UNAVAILABLE) or (state == "55000" and "connections" in str(exc)):
            return DatabaseUnavailable(f"PostgreSQL: {type(exc).__name__}: {exc}")
        return None
    if isinstance(exc, OSError | asyncio.TimeoutError | pg.InterfaceError):
        # Refused, reset, timed out, or a pool/connection closed under the query.
        return DatabaseUnavailable(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return None


def asyncpg_errors():
    from asyncpg import exceptions

    return exceptions


class Outage:
    """One log line when the database becomes unavailable and one when it answers again, however many
    requests fail in between (each is answered 503 without a traceback)."""

    def __init__(self) -> None:
        self.active = False

    def report(self, exc: BaseException) -> DatabaseUnavailable | None:
        """The outage `exc` stands for (logged when it is news), or None for an ordinary error."""
        outage = unavailable(exc)
        if outage is not None and not self.active:
            self.active = True
            log.error("database unavailable: %s; answering 503 until it is back", outage.cause)
        return outage

    def over(self) -> None:
        if self.active:
            self.active = False
            log.warning("database available again")


OUTAGE = Outage()


class _Answering:
    """Marks the end of an outage at the first query that succeeds after it."""

    async def run_querystring(self, *args: Any, **kwargs: Any) -> Any:
        result = await super().run_querystring(*args, **kwargs)  # type: ignore[misc]
        if OUTAGE.active:
            OUTAGE.over()
        return result


class _SQLiteTransaction(SQLiteTransaction):
    """Piccolo's transaction on a pooled connection; a writing one first queues on the engine's write lock."""

    __slots__ = ("_write_lock",)
    engine: PooledSQLiteEngine

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self._write_lock = None
        if self.transaction_type is not TransactionType.deferred:
            self._write_lock = self.engine.write_lock()
            await self._write_lock.acquire()
        try:
            self.connection = await self.engine.acquire()
            try:
                await self.begin()
            except BaseException:
                await self.engine.release(self.connection)
                raise
        except BaseException:
            if self._write_lock is not None:
                self._write_lock.release()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent is not None:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self.engine.current_transaction.reset(self.context)
            try:
                await self.engine.release(self.connection)
            finally:
                if self._write_lock is not None:
                    self._write_lock.release()
        return exception is None


class PooledSQLiteEngine(_Answering, SQLiteEngine):
    """Piccolo's SQLite engine with connections reused while the pool is open, like asyncpg's.

    Piccolo opens a connection (a new thread, a connect, a PRAGMA) for every query outside a
    transaction and for every transaction, and sends the PRAGMA again before each query in one;
    under load that was most of the server's time. Here a query is one trip to an open
    connection's thread. SQLite lets one writer in at a time and makes the others poll with
    growing sleeps (p99 of seconds at 50 concurrent filings), so writers queue on a WriteLock
    instead, in order within this process and in the kernel across processes: IMMEDIATE
    transactions and writes outside a transaction.
    """

    def __init__(self, path: str) -> None:
        if sqlite3.sqlite_version_info < (3, 35):
            raise RuntimeError("SQLite 3.35 or later is needed (RETURNING, AS MATERIALIZED)")
        super().__init__(path=path, timeout=SQLITE_BUSY_TIMEOUT_S)
        self._idle: list[aiosqlite.Connection] | None = None  # None: no pool, a connection per use
        # A connection reads the planner's statistics when it opens: one opened before they were last
        # gathered is closed when it comes back, so that every query soon plans with the fresh ones.
        self._generation = 0
        self._opened_in: weakref.WeakKeyDictionary[aiosqlite.Connection, int] = weakref.WeakKeyDictionary()
        self._write_lock = WriteLock(path)

    async def start_connection_pool(self) -> None:
        if self._idle is None:
            self._idle = []

    async def close_connection_pool(self) -> None:
        idle, self._idle = self._idle or [], None
        for connection in idle:
            await connection.close()

    async def acquire(self) -> aiosqlite.Connection:
        if self._idle:
            return self._idle.pop()
        connection = await self.get_connection()
        self._opened_in[connection] = self._generation
        return connection

    async def release(self, connection: aiosqlite.Connection) -> None:
        # A connection left inside a transaction (a failed COMMIT) is closed, which rolls it back.
        reusable = not connection.in_transaction and self._opened_in.get(connection) == self._generation
        if self._idle is not None and len(self._idle) < SQLITE_IDLE_CONNECTIONS and reusable:
            self._idle.append(connection)
        else:
            await connection.close()

    async def gather_statistics(self) -> None:
        """ANALYZE, then connections opened afresh: each reads the statistics when it opens."""
        async with self.write_lock():
            await self.run_ddl("ANALYZE")
        self._generation += 1
        idle, self._idle = self._idle, [] if self._idle is not None else None
        for connection in idle or []:
            await connection.close()

    def write_lock(self) -> WriteLock:
        return self._write_lock

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return _SQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> list[dict]:
        async with self.write_lock() if is_sqlite_write(query) else contextlib.nullcontext():
            connection = await self.acquire()
            try:
                return await connection.execute_fetchall(query, args or [])
            finally:
                await self.release(connection)

    async def _run_in_existing_connection(
        self,
        connection: aiosqlite.Connection,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> list[dict]:
        return await connection.execute_fetchall(query, args or [])


class AnsweringPostgresEngine(_Answering, PostgresEngine):
    """Piccolo's PostgreSQL engine that notices when the database answers again after an outage."""


def engine_for(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        return PooledSQLiteEngine(path=url.removeprefix("sqlite:///"))
    parts = urlsplit(url)
    config: dict[str, Any] = {"dsn": url.replace("postgres://", "postgresql://", 1), "timeout": CONNECT_TIMEOUT_S}
    if not parts.path.strip("/"):
        raise ValueError("the PostgreSQL URL must name a database")
    return AnsweringPostgresEngine(config=config)


def bind(engine: Engine) -> None:
    """Point every table, and Piccolo's migration machinery, at this engine."""
    import piccolo_conf

    piccolo_conf.DB = engine
    for table in [*Finder().get_table_classes(), Migration]:
        table._meta.db = engine


def current_engine() -> Engine:
    import piccolo_conf

    return piccolo_conf.DB


def for_update(query: T) -> T:
    """A query (select or objects) whose rows stay locked until the transaction ends, for a read that
    decides a write: PostgreSQL's FOR UPDATE makes a second writer wait and then read the row as the
    first left it. SQLite needs nothing: a writing transaction holds the database's write lock."""
    return query if isinstance(current_engine(), SQLiteEngine) else query.lock_rows()  # type: ignore[attr-defined]


def write_transaction():
    """A transaction that takes the write lock up front.

    SQLite's default deferred transactions fail with "database is locked" at once when two
    read-then-write transactions meet, in one process or several; an IMMEDIATE one queues on the
    engine's write lock before it begins, so it waits its turn instead.
    """
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def prepare(engine: Engine) -> None:
    """Per-database settings that must hold before the first write."""
    if isinstance(engine, SQLiteEngine):
        Path(engine.path).parent.mkdir(parents=True, exist_ok=True)
        await engine.run_ddl("PRAGMA journal_mode=WAL")


async def migrate() -> list[str]:
    """Apply every pending migration of every app; returns the ids applied."""
    pending = await pending_migrations()
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            result = await run_forwards(app_name="all")
    except Exception as exc:  # the database refused a migration: say which, not a traceback
        raise MigrationError(f"{output.getvalue().strip()} {type(exc).__name__}: {exc}") from exc
    if not result.success:
        raise MigrationError(result.message or output.getvalue())
    return pending


async def pending_migrations() -> list[str]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        statuses = await CheckMigrationManager(app_name="all").get_migration_statuses()
    return [f"{s.app_name}:{s.migration_id}" for s in statuses if not s.has_ran]


async def ping() -> None:
    await current_engine().run_ddl("SELECT 1")


async def _keep_session(_connection: Any) -> None:
    """The portal sets no session state (SET, LISTEN, advisory locks, held cursors), so the RESET
    asyncpg sends by default on every release, a round trip per query outside a transaction, is
    skipped; asyncpg still rolls back a transaction left open."""


async def open_pool(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        # No floor of idle connections: asyncpg would log a traceback each time a dead database
        # kept it from restoring the floor; connections open on first use and stay for reuse.
        await engine.start_connection_pool(min_size=0, max_size=POSTGRES_POOL_SIZE, reset=_keep_session)
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.start_connection_pool()


async def close_pool(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        try:  # a graceful close waits for the server to answer, which a dead database never does
            await asyncio.wait_for(engine.close_connection_pool(), CONNECT_TIMEOUT_S)
        except (TimeoutError, OSError, asyncpg_errors().InterfaceError):
            engine.pool.terminate()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_connection_pool()


async def refresh_statistics(engine: Engine) -> None:
    """The statistics SQLite's planner chooses indexes by, gathered afresh. Without them it takes every
    index for equally selective and may read most of the tickets for one page of a queue; PostgreSQL's
    autovacuum keeps its own."""
    if isinstance(engine, PooledSQLiteEngine):
        await engine.gather_statistics()


def aware(value: datetime | str) -> datetime:
    """A timestamp from a raw row: SQLite may hand it back as text, PostgreSQL as an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_unique_violation(exc: BaseException) -> bool:
    """Both drivers' way of saying a UNIQUE constraint refused the row."""
    from asyncpg.exceptions import UniqueViolationError

    return isinstance(exc, UniqueViolationError) or (isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc))
