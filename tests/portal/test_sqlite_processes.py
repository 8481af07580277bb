"""Several server processes on one SQLite file: their writers queue in the kernel on a lock beside the
database, never fail with "database is locked", and a writer given up (cancelled, timed out) leaves no
lock behind. Each test has a SQLite file of its own, whichever database the run tests."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from piccolo.engine.sqlite import TransactionType
from piccolo.querystring import QueryString

from portal import db
from portal.db import sqlite_lock
from tests.helpers import line_from, start_child
from tests.portal.sqlite_writer import append

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("sqlite_writer.py")
WITHIN_S = 30


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[db.PooledSQLiteEngine]:
    """A pooled engine on a new SQLite file with a counter and a table of entries, as the server opens it."""
    engine = db.engine_for(f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    await db.prepare(engine)
    await engine.run_ddl("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    await engine.run_ddl("INSERT INTO counter (id, n) VALUES (1, 0)")
    await engine.run_ddl("CREATE TABLE entry (id INTEGER PRIMARY KEY, seq INTEGER, writer TEXT, k INTEGER)")
    await db.open_pool(engine)
    yield engine
    await db.close_pool(engine)


def start(engine: db.PooledSQLiteEngine, *args: str) -> subprocess.Popen:
    return start_child(WRITER, engine.path, *args)


async def said(process: subprocess.Popen) -> str:
    return await line_from(process, WITHIN_S)


def tell(process: subprocess.Popen, line: str) -> None:
    process.stdin.write(line + "\n")
    process.stdin.flush()


async def finished(process: subprocess.Popen) -> None:
    _out, errors = await asyncio.wait_for(asyncio.to_thread(process.communicate), WITHIN_S)
    assert process.returncode == 0, errors
    assert "locked" not in errors


@contextlib.asynccontextmanager
async def holding(engine: db.PooledSQLiteEngine) -> AsyncIterator[subprocess.Popen]:
    """Another process inside an IMMEDIATE transaction until told "go"; then it appends "other" and commits."""
    process = start(engine, "hold")
    try:
        assert await said(process) == "holding"
        yield process
        await finished(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def waits_in_the_kernel(engine: db.PooledSQLiteEngine) -> bool:
    """Whether this process is queued on the engine's lock file in the kernel (a blocked flock)."""
    inode = os.stat(engine.write_lock().path).st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()  # "1: -> FLOCK ADVISORY WRITE <pid> <major:minor:inode> 0 EOF" for a waiter
        if fields[1:3] == ["->", "FLOCK"] and fields[5] == str(os.getpid()) and fields[6].endswith(f":{inode}"):
            return True
    return False


async def until(condition) -> None:
    async with asyncio.timeout(WITHIN_S):
        while not condition():
            await asyncio.sleep(0.01)


async def written(engine: db.PooledSQLiteEngine) -> list[tuple[int, str]]:
    rows = await engine.run_querystring(QueryString("SELECT seq, writer FROM entry ORDER BY seq"))
    return [(row["seq"], row["writer"]) for row in rows]


async def appended(engine: db.PooledSQLiteEngine, writer: str) -> None:
    async with engine.transaction(TransactionType.immediate):
        await append(engine, writer)


async def appended_outside_a_transaction(engine: db.PooledSQLiteEngine, writer: str) -> None:
    await engine.run_querystring(
        QueryString("INSERT INTO entry (seq, writer) SELECT COALESCE(MAX(seq), 0) + 1, {} FROM entry", writer)
    )


def lock_is_free(engine: db.PooledSQLiteEngine) -> bool:
    """Whether the lock file can be taken through an open file of its own, as another process's is."""
    fd = os.open(engine.write_lock().path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # which lets go of it
    return True


def os_lock_state(engine: db.PooledSQLiteEngine) -> str:
    """ "free" when another process can take the write lock at once."""
    return subprocess.run(
        [sys.executable, str(WRITER), engine.path, "try"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=WITHIN_S,
        check=True,
    ).stdout.strip()


async def test_wal_lets_readers_in_while_another_process_writes(engine):
    assert (await engine.run_querystring(QueryString("PRAGMA journal_mode")))[0]["journal_mode"] == "wal"
    async with holding(engine) as other:
        assert await written(engine) == []  # read at once, the other process's transaction still open
        tell(other, "go")


async def test_two_processes_writing_at_once_land_every_write_once(engine):
    each = 120
    writers = [start(engine, "count", name, str(each)) for name in ("a", "b")]
    try:
        for writer in writers:
            assert await said(writer) == "ready"
        for writer in writers:
            tell(writer, "go")
        for writer in writers:
            await finished(writer)
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
    counter = await engine.run_querystring(QueryString("SELECT n FROM counter WHERE id = 1"))
    assert counter[0]["n"] == 2 * each  # no increment lost to another process's
    entries = await engine.run_querystring(QueryString("SELECT writer, k FROM entry"))
    assert sorted((row["writer"], row["k"]) for row in entries) == [(w, k) for w in "ab" for k in range(each)]


@pytest.mark.parametrize("write", [appended, appended_outside_a_transaction])
async def test_a_writer_waits_for_another_process_in_the_kernel_and_goes_in_after_it(engine, write):
    async with holding(engine) as other:
        mine = asyncio.create_task(write(engine, "this"))
        await until(lambda: waits_in_the_kernel(engine))  # not polling SQLite's lock with sleeps
        assert not mine.done()
        tell(other, "go")
        await asyncio.wait_for(mine, WITHIN_S)  # waited, did not fail
    assert await written(engine) == [(1, "other"), (2, "this")]


async def test_a_writer_cancelled_while_another_process_writes_leaves_both_locks_free(engine):
    async with holding(engine) as other:
        cancelled = asyncio.create_task(appended(engine, "cancelled"))
        await until(lambda: waits_in_the_kernel(engine))
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        tell(other, "go")
    # The thread that was waiting gets the lock once the other process lets go, and lets go of it at once.
    await until(lambda: lock_is_free(engine))
    assert os_lock_state(engine) == "free"
    await asyncio.wait_for(appended_outside_a_transaction(engine, "after"), WITHIN_S)
    await asyncio.wait_for(appended(engine, "again"), WITHIN_S)
    assert await written(engine) == [(1, "other"), (2, "after"), (3, "again")]


async def test_a_writer_gives_up_on_another_process_as_on_a_busy_database_and_leaves_no_lock(engine, monkeypatch):
    monkeypatch.setattr(sqlite_lock, "OS_LOCK_TIMEOUT_S", 0.2)
    async with holding(engine) as other:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await appended(engine, "given up")
        tell(other, "go")
    await until(lambda: lock_is_free(engine))
    assert os_lock_state(engine) == "free"
    await asyncio.wait_for(appended(engine, "after"), WITHIN_S)
    assert await written(engine) == [(1, "other"), (2, "after")]


async def test_writers_of_one_process_queue_in_order_without_a_file_for_a_database_in_memory():
    lock = sqlite_lock.WriteLock(":memory:")
    assert lock.path is None
    order: list[tuple[str, int]] = []

    async def writer(n: int) -> None:
        async with lock:
            order.append(("in", n))
            await asyncio.sleep(0)  # the others run meanwhile, and must still wait their turn
            order.append(("out", n))

    await asyncio.gather(*(writer(n) for n in range(5)))
    assert order == [(step, n) for n in range(5) for step in ("in", "out")]


@pytest.mark.parametrize(
    ("database", "lock_file"),
    [
        ("var/portal.sqlite3", "var/portal.sqlite3.write-lock"),
        ("/data/portal.sqlite3", "/data/portal.sqlite3.write-lock"),
        ("file:/data/portal.sqlite3?mode=rw", "/data/portal.sqlite3.write-lock"),
        (":memory:", None),
        ("", None),
        ("file:shared?mode=memory&cache=shared", None),
    ],
)
def test_the_lock_file_lies_beside_the_database(database, lock_file):
    assert sqlite_lock.lock_file_for(database) == lock_file
