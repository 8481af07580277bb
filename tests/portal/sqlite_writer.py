"""Another process writing to a test's SQLite file through the portal's engine, as a second server worker would.

Run by tests/portal/test_sqlite_processes.py:

    python sqlite_writer.py PATH count NAME N   N read-then-write increments of the counter (IMMEDIATE
                                                 transactions) and N autocommit INSERTs, four tasks at once,
                                                 after "go" on standard input
    python sqlite_writer.py PATH hold           an IMMEDIATE transaction held open: "holding" on standard
                                                 output, then on "go" it appends the row "other" and commits
    python sqlite_writer.py PATH try            whether the OS write lock can be taken at once: "free" or "held"
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sys

from piccolo.engine.sqlite import TransactionType
from piccolo.querystring import QueryString

from portal import db
from portal.db.sqlite_lock import lock_file_for

TASKS = 4


def said(line: str) -> None:
    print(line, flush=True)


async def append(engine, writer: str) -> None:
    """In the caller's transaction, a row numbered after the last one: its number is the order the
    writers went in, whatever the clocks say."""
    last = await engine.run_querystring(QueryString("SELECT COALESCE(MAX(seq), 0) AS seq FROM entry"))
    await engine.run_querystring(
        QueryString("INSERT INTO entry (seq, writer) VALUES ({}, {})", last[0]["seq"] + 1, writer)
    )


async def count(engine, name: str, n: int) -> None:
    async def task(part: int) -> None:
        for k in range(part, n, TASKS):
            async with engine.transaction(TransactionType.immediate):
                rows = await engine.run_querystring(QueryString("SELECT n FROM counter WHERE id = 1"))
                await engine.run_querystring(QueryString("UPDATE counter SET n = {} WHERE id = 1", rows[0]["n"] + 1))
            await engine.run_querystring(QueryString("INSERT INTO entry (writer, k) VALUES ({}, {})", name, k))

    said("ready")
    assert sys.stdin.readline().strip() == "go"
    await asyncio.gather(*(task(part) for part in range(TASKS)))


async def hold(engine) -> None:
    async with engine.transaction(TransactionType.immediate):
        said("holding")
        assert sys.stdin.readline().strip() == "go"
        await append(engine, "other")


def try_lock(path: str) -> None:
    fd = os.open(lock_file_for(path), os.O_RDONLY | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        said("held")
    else:
        said("free")
    finally:
        os.close(fd)


async def main(path: str, mode: str, *args: str) -> None:
    if mode == "try":
        try_lock(path)
        return
    engine = db.engine_for(f"sqlite:///{path}")
    await db.open_pool(engine)
    try:
        if mode == "count":
            await count(engine, args[0], int(args[1]))
        else:
            await hold(engine)
    finally:
        await db.close_pool(engine)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
