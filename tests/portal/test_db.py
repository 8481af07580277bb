"""The database with its pool open, as the server runs it: concurrent filings, failed and cancelled
transactions."""

import asyncio
import contextlib

import pytest

from portal import db
from portal.notify.tables import OutboxMessage
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Event, Ticket
from tests.conftest import _migrate
from tests.helpers import create_user


@pytest.fixture
async def pool(database_url):
    engine = db.current_engine()
    await db.open_pool(engine)
    yield
    await db.close_pool(engine)


def _mail(subject: str = "Hello") -> OutboxMessage:
    return OutboxMessage(to_address="ann@example.com", subject=subject, body_text="Text")


async def test_concurrent_filings_each_store_their_ticket_event_and_receipt_once(settings, pool):
    ann = await create_user(settings, "ann@example.com")
    # 60 filings with 20 keys at once: retries race their first attempt, on one pool.
    drafts = [
        NewTicket(type="question", subject=f"S{n}", description="D", idempotency_key=f"k{n % 20}") for n in range(60)
    ]
    tickets = await asyncio.wait_for(asyncio.gather(*(open_ticket(settings, ann, draft) for draft in drafts)), 60)
    assert len({ticket.id for ticket in tickets}) == 20
    assert await Ticket.count() == await Event.count() == 20
    assert await OutboxMessage.count().where(OutboxMessage.to_address == "ann@example.com") == 20


async def test_a_failed_transaction_leaves_nothing_and_the_next_one_commits(pool):
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await _mail("Rolled back").save()
            raise RuntimeError("the filing failed halfway")
    async with db.write_transaction():
        await _mail("Kept").save()
    assert [row["subject"] for row in await OutboxMessage.select(OutboxMessage.subject)] == ["Kept"]


async def test_a_cancelled_transaction_is_rolled_back_and_lets_the_next_writer_in(pool):
    inside = asyncio.Event()

    async def stuck() -> None:
        async with db.write_transaction():
            await _mail("Cancelled").save()
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck())
    await inside.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.wait_for(_mail("After").save(), timeout=10)
    async with db.write_transaction():
        await asyncio.wait_for(_mail("Again").save(), timeout=10)
    assert sorted(row["subject"] for row in await OutboxMessage.select(OutboxMessage.subject)) == ["After", "Again"]


@pytest.mark.parametrize(
    ("query", "writes"),
    [
        ("INSERT INTO t (a) VALUES (1)", True),
        ("  update t SET a = 2", True),
        ("DELETE FROM t", True),
        ("REPLACE INTO t (a) VALUES (1)", True),
        ("WITH fresh AS (SELECT 1 AS a) INSERT INTO t (a) SELECT a FROM fresh", True),
        ("WITH\n  old AS (SELECT id FROM t)\nDELETE FROM t WHERE id IN (SELECT id FROM old)", True),
        ("SELECT updated_at, deleted FROM t", False),
        ("WITH recent AS (SELECT * FROM t) SELECT * FROM recent", False),
        ("PRAGMA foreign_keys = ON", False),
    ],
)
def test_sqlite_writes_outside_transactions_are_recognised(query, writes):
    """Those statements queue on the engine's write lock; the others run at once."""
    assert db.is_sqlite_write(query) is writes


async def test_fresh_planner_statistics_reach_the_pooled_connections(settings, tmp_path):
    """SQLite's planner statistics (PostgreSQL's autovacuum keeps its own), on a SQLite database of the
    test's own whichever database the run tests."""
    await _migrate(f"sqlite:///{tmp_path / 'statistics.sqlite3'}")
    engine = db.current_engine()
    await db.open_pool(engine)
    try:
        ann = await create_user(settings, "ann@example.com")
        for n in range(3):
            await open_ticket(settings, ann, NewTicket(type="question", subject=f"S{n}", description="D"))
        before = await engine.acquire()
        await engine.release(before)  # idle in the pool, with the statistics of its opening (none)

        await db.refresh_statistics(engine)
        gathered = await Ticket.raw("SELECT idx FROM sqlite_stat1 WHERE tbl = 'ticket'")
        assert {row["idx"] for row in gathered} >= {"ticket_queue_open", "ticket_queue_deadline"}
        # Statistics are read when a connection opens: the one opened before is not handed out again.
        after = await engine.acquire()
        await engine.release(after)
        assert after is not before
    finally:
        await db.close_pool(engine)
