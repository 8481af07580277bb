"""A database that goes away gets a quick, honest 503 (Retry-After, the user's language, JSON on the
API), one log line per outage instead of a traceback per request, and the portal recovers by itself;
a full disk gets 507 with nothing half-written, and recovers when space returns."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from auth import api_tokens
from portal import db
from portal.tickets.tables import Attachment, Ticket
from portal.web.app import create_app
from tests.conftest import PG_URL, browser, make_settings
from tests.helpers import create_user, csrf_token, sign_in

NEW = {"type": "question", "subject": "Invoice is missing", "description": "I cannot find invoice 42."}


class Switch:
    """A TCP proxy in front of PostgreSQL that a test turns off (connections accepted, then closed at
    once, and the live ones cut) and on again, as a database crash and restart look to the portal."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.up = True
        self.live: list[socket.socket] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.live += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def down(self) -> None:
        self.up = False
        for s in self.live:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self.live.clear()

    def close(self) -> None:
        self.down()
        self.server.close()


@contextlib.contextmanager
def switchable(database_url: str):
    """(url the portal uses, take the database down, bring it back)."""
    if PG_URL:
        parts = urlsplit(database_url)
        switch = Switch((parts.hostname or "127.0.0.1", parts.port or 5432))
        netloc = f"{parts.username}@127.0.0.1:{switch.port}" if parts.username else f"127.0.0.1:{switch.port}"

        def back() -> None:
            switch.up = True

        try:
            yield urlunsplit(parts._replace(netloc=netloc)), switch.down, back
        finally:
            switch.close()
        return
    path = Path(database_url.removeprefix("sqlite:///"))
    away = path.with_name("away.sqlite3")

    def down() -> None:  # the file is gone and a directory stands in its place: SQLite cannot open it
        path.rename(away)
        path.mkdir()

    def up() -> None:
        path.rmdir()
        away.rename(path)

    yield database_url, down, up


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# With a pool on PostgreSQL, the connections it holds die under it; without one, new ones are refused.
# (A pooled SQLite connection keeps the file it opened, so only the pool-less case is an outage there.)
POOLS = ["false", "true"] if PG_URL else ["false"]


@pytest.mark.parametrize("pool", POOLS)
async def test_a_database_outage_is_answered_503_logged_once_and_recovered_from(tmp_path, database_url, pool):
    with switchable(database_url) as (url, down, up):
        settings = make_settings(tmp_path, url, PORTAL_DATABASE_POOL=pool)
        app = create_app(settings)
        lines = Lines()
        logging.getLogger().addHandler(lines)  # after create_app, which sets the handlers up
        # Russian-speaking: the outage page comes in the user's language. Created before the app's pool exists.
        ann = await create_user(settings, "ann@example.com", locale="ru")
        token = await api_tokens.create(ann, "tests")
        try:
            async with browser(app) as client:
                await sign_in(client, "ann@example.com")
                assert (await client.get("/tickets")).status_code == 200

                down()
                for _ in range(6):
                    page = await client.get("/tickets")
                    assert page.status_code == 503
                    assert int(page.headers["retry-after"]) > 0
                    assert "Сервис временно недоступен" in page.text
                api = await client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
                assert api.status_code == 503 and api.json()["status"] == 503 and "retry-after" in api.headers
                form = await client.post("/tickets", data={**NEW, "_csrf_token": await csrf_token(client)})
                assert form.status_code == 503
                ready = await client.get("/ready")
                assert ready.status_code == 503

                up()
                assert (await client.get("/tickets")).status_code == 200  # the same session, no restart
                filed = await client.post("/api/tickets", json=NEW, headers={"Authorization": f"Bearer {token}"})
                assert filed.status_code == 201
        finally:
            logging.getLogger().removeHandler(lines)
    problems = [r for r in lines.records if r.levelno >= logging.WARNING and r.name.startswith("portal")]
    assert [r.getMessage().split(":")[0] for r in problems] == ["database unavailable", "database available again"]
    assert [(r.name, r.getMessage()) for r in lines.records if r.exc_info] == []
    db.bind(db.engine_for(database_url))  # the app bound the switched address, now closed
    assert await Ticket.count() == 1


def test_a_dead_postgresql_is_given_up_on_within_seconds():
    engine = db.engine_for("postgresql://postgres@127.0.0.1:5432/test")
    assert 0 < engine.config["timeout"] <= 5


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB file system for the data directory (attachments)."""
    mount = tmp_path / "data"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot mount a small tmpfs: {done.stderr.decode()}")
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


async def test_a_full_disk_is_answered_507_with_nothing_half_written(tmp_path, database_url, small_disk):
    settings = make_settings(tmp_path, database_url)  # PORTAL_DATA_DIR is tmp_path/data: the small disk
    assert settings.data_dir == small_disk
    await create_user(settings, "ann@example.com")
    async with browser(create_app(settings)) as client:
        await sign_in(client, "ann@example.com")
        filler = small_disk / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as out:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        report = io.BytesIO(b"order 42 was not delivered\n" * 4000)  # ~100 KB, more than is left
        form = {**NEW, "_csrf_token": await csrf_token(client)}
        full = await client.post("/tickets", data=form, files={"attachments": ("report.txt", report, "text/plain")})
        assert full.status_code == 507
        assert "no space left" in full.text.lower()
        assert await Ticket.count() == 0 and await Attachment.count() == 0
        leftovers = [p for p in (small_disk / "attachments").rglob("*") if p.is_file()]
        assert leftovers == []

        filler.unlink()
        report.seek(0)
        again = await client.post("/tickets", data=form, files={"attachments": ("report.txt", report, "text/plain")})
        assert again.status_code == 302
        assert await Ticket.count() == 1 and await Attachment.count() == 1
    shutil.rmtree(small_disk / "attachments", ignore_errors=True)
