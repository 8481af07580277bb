"""The database: the engine for a URL, binding every table to it, write transactions, migrations."""

from __future__ import annotations

import contextlib
import io
from typing import Any
from urllib.parse import urlsplit

from piccolo.apps.migrations.commands.check import CheckMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

SQLITE_BUSY_TIMEOUT_S = 30


class MigrationError(RuntimeError):
    """Migrations could not be applied; the message says which and why."""


def engine_for(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        return SQLiteEngine(path=url.removeprefix("sqlite:///"), timeout=SQLITE_BUSY_TIMEOUT_S)
    parts = urlsplit(url)
    config: dict[str, Any] = {"dsn": url.replace("postgres://", "postgresql://", 1)}
    if not parts.path.strip("/"):
        raise ValueError("the PostgreSQL URL must name a database")
    return PostgresEngine(config=config)


def bind(engine: Engine) -> None:
    """Point every table, and Piccolo's migration machinery, at this engine."""
    import piccolo_conf

    piccolo_conf.DB = engine
    for table in [*Finder().get_table_classes(), Migration]:
        table._meta.db = engine


def current_engine() -> Engine:
    import piccolo_conf

    return piccolo_conf.DB


def write_transaction():
    """A transaction that takes the write lock up front.

    SQLite's default deferred transactions fail with "database is locked" when two read-then-write
    transactions meet; IMMEDIATE makes the second one wait on the busy timeout instead.
    """
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def prepare(engine: Engine) -> None:
    """Per-database settings that must hold before the first write."""
    if isinstance(engine, SQLiteEngine):
        from pathlib import Path

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


async def open_pool(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def close_pool(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


def is_unique_violation(exc: BaseException) -> bool:
    """Both drivers' way of saying a UNIQUE constraint refused the row."""
    import sqlite3

    from asyncpg.exceptions import UniqueViolationError

    return isinstance(exc, UniqueViolationError) or (isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc))
