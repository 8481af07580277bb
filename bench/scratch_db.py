"""A migrated database for one benchmark run: a SQLite file in a temporary folder, or a PostgreSQL
database created on PORTAL_BENCH_POSTGRES_URL's server (default postgresql://postgres@127.0.0.1:5432/test)
and dropped afterwards."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator

import asyncpg

from portal import db

PG = os.environ.get("PORTAL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.asynccontextmanager
async def scratch(kind: str, prefix: str) -> AsyncIterator[tuple[str, str]]:
    """(database url, temporary folder), the database migrated and bound."""
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "sqlite":
            url = f"sqlite:///{tmp}/bench.sqlite3"
        else:
            name = f"{prefix}_{uuid.uuid4().hex[:8]}"
            admin = await asyncpg.connect(PG)
            await admin.execute(f'CREATE DATABASE "{name}"')
            url = PG.rpartition("/")[0] + "/" + name
        try:
            engine = db.engine_for(url)
            db.bind(engine)
            await db.prepare(engine)
            await db.migrate()
            yield url, tmp
        finally:
            if kind == "postgres":
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()
