"""Fixtures: settings in a temporary data directory, a migrated database (SQLite, or PostgreSQL when
PORTAL_TEST_DATABASE_URL is set), the app with its lifespan, and a browser-like client."""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from auth.tables import Role, User
from portal import db
from portal.settings import Settings
from portal.sla import levels
from portal.tickets import types
from portal.web.app import create_app
from tests.helpers import create_user

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
SEEDED_TYPES = importlib.import_module(
    "portal.tickets.piccolo_migrations.tickets_2026_11_23t03_50_00_000000"
).DEFAULT_TYPES
SEEDED_LEVELS = importlib.import_module("portal.sla.piccolo_migrations.sla_2026_12_03t13_20_00_000000")


def _with_database(url: str, name: str) -> str:
    base, _sep, _old = url.rpartition("/")
    return f"{base}/{name}"


async def _migrate(url: str) -> None:
    engine = db.engine_for(url)
    db.bind(engine)
    await db.prepare(engine)
    await db.migrate()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> Iterator[str]:
    """A database migrated once per test run: a SQLite file to copy, or a PostgreSQL database to truncate."""
    if not PG_URL:
        path = tmp_path_factory.mktemp("template") / "portal.sqlite3"
        asyncio.run(_migrate(f"sqlite:///{path}"))
        yield str(path)
        return
    name = f"portal_test_{uuid.uuid4().hex[:10]}"
    admin = PG_URL

    async def create() -> None:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    asyncio.run(create())
    url = _with_database(PG_URL, name)
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(drop())


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(url)
    tables = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
    )
    # Only the tables the test wrote to (emptying all of them cost half a second a test): the others
    # are empty already, and their sequences, advanced by rows added and removed, start again. One
    # transaction without waiting for the disk: a test database need not survive a crash.
    names = [t["tablename"] for t in tables]
    written = " UNION ALL ".join(f"SELECT '{n}' AS name WHERE EXISTS (SELECT 1 FROM \"{n}\")" for n in names)
    async with conn.transaction():
        await conn.execute("SET LOCAL synchronous_commit = off")
        used = await conn.fetch(written) if names else []
        if used:
            await conn.execute("TRUNCATE " + ", ".join(f'"{t["name"]}"' for t in used) + " RESTART IDENTITY CASCADE")
        for sequence in await conn.fetch(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
        ):
            await conn.execute(f'ALTER SEQUENCE "{sequence["sequencename"]}" RESTART')
        # What the migrations seed, a fresh database has: put it back.
        for position, (slug, name_en, name_ru) in enumerate(SEEDED_TYPES):
            await conn.execute(
                "INSERT INTO ticket_type (slug, name_en, name_ru, position, active) VALUES ($1, $2, $3, $4, true)",
                slug,
                name_en,
                name_ru,
                position,
            )
        for statement in SEEDED_LEVELS.statements(SEEDED_LEVELS.triage_minutes()):
            await conn.execute(statement)
    await conn.close()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    """A clean database for one test, bound so that the test body queries the same one as the app."""
    if PG_URL:
        asyncio.run(_truncate(database_template))
        url = database_template
    else:
        path = tmp_path / "portal.sqlite3"
        shutil.copy(database_template, path)
        url = f"sqlite:///{path}"
    db.bind(db.engine_for(url))
    types.forget()  # what a process cached of the previous test's database
    levels.forget()
    return url


def make_settings(tmp_path: Path, database_url: str, **env: str) -> Settings:
    return Settings.from_env(
        {
            "PORTAL_DATA_DIR": str(tmp_path / "data"),
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_BACKGROUND_JOBS": "false",
            "PORTAL_DATABASE_POOL": "false",
            "PORTAL_BASE_URL": "http://portal.test",
            **env,
        }
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with browser(app) as test_client:
        yield test_client


def browser(app: Litestar, base_url: str = "http://portal.test") -> AsyncTestClient:
    """A client that, like a test of a browser's view, sees each redirect instead of following it."""
    test_client = AsyncTestClient(app=app, base_url=base_url)
    test_client.follow_redirects = False
    return test_client


@pytest.fixture
async def people(settings: Settings) -> dict[str, User]:
    """A cast for tests of tickets: two customers, three agents and a supervisor (a module may cast its own)."""
    return {
        "ann": await create_user(settings, "ann@example.com", name="Ann"),
        "bob": await create_user(settings, "bob@example.com", name="Bob"),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "other": await create_user(settings, "other@example.com", Role.AGENT, name="Olga Agent"),
        "colleague": await create_user(settings, "colleague@example.com", Role.AGENT, name="Cleo Colleague"),
        "boss": await create_user(settings, "boss@example.com", Role.SUPERVISOR, name="Boris Supervisor"),
    }


def pytest_collection_modifyitems(config, items):
    """The browser flows (tests/e2e) run in the SQLite run only: what they check (pages, scripts,
    styles, the served process, the real SMTP/IMAP/OpenID peers) is the same on either database, and
    every flow's database work is tested on both by the HTTP-level tests. This keeps CI's two runs,
    side by side on two cores, within its time."""
    if not PG_URL:
        return
    browser = [item for item in items if item.nodeid.startswith("tests/e2e/")]
    if browser:
        config.hook.pytest_deselected(items=browser)
        items[:] = [item for item in items if not item.nodeid.startswith("tests/e2e/")]
