"""What every `portal` command needs: the settings, a migrated database, errors said in one line, progress."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import sys
from collections.abc import Callable, Iterator

import click

from portal import db
from portal.settings import Settings, SettingsError


def settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


async def ready(settings: Settings) -> list[str]:
    """Bind the engine, create the data directory, apply pending migrations; then, as the server
    does, keep connections for reuse (a command that writes thousands of rows would otherwise open
    a connection per query). `run` closes them."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.engine_for(settings.database_url)
    db.bind(engine)
    await db.prepare(engine)
    applied = await db.migrate()
    if settings.database_pool:
        await db.open_pool(engine)
    return applied


async def _closing_the_pool(coro):
    try:
        return await coro
    finally:
        await db.close_pool(db.current_engine())  # a no-op where no pool was opened


def check_listening_address(host: str, port: int) -> None:
    """Refuses, in one line, an address the server could not listen on (another process holds the port,
    a privileged port, an unknown host name) before migrations run and workers start."""
    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise click.ClickException(f"cannot listen on {where}: {exc.strerror}") from exc
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no obstacle
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"{where} is already in use (is the portal already running?): stop that process, "
                    "or serve on another port with --port or PORTAL_PORT"
                ) from exc
            raise click.ClickException(f"cannot listen on {where}: {exc.strerror}") from exc


def run(coro):
    try:
        return asyncio.run(_closing_the_pool(coro))
    except db.MigrationError as exc:
        raise click.ClickException(f"migrations failed: {exc}") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot reach the database: {exc}") from exc


@contextlib.contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr, advanced by telling it how many items are done so far."""
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            bar.update(count - done)
            done = count

        yield advance
