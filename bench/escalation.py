"""One escalation pass among 100,000 open tickets: finding what is due, claiming it and queuing the mails.

    python bench/escalation.py [--db sqlite|postgres|both] [--tickets 100000]

PostgreSQL: PORTAL_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) names the
server; the benchmark creates and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auth.tables import Role
from bench.scratch_db import scratch
from portal import db
from portal.notify.tables import OutboxMessage
from portal.settings import Settings
from portal.sla import escalation

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DUE = 250  # tickets whose moment has come (each mails two supervisors or one assignee): ≤ 1,000 mails
COLUMNS = (
    "requester, organization, type, priority, status, subject, description, custom_fields, channel, assignee, "
    "first_response_due, resolution_due, triage_due, first_response_warn_at, resolution_warn_at, escalate_at, "
    "resolutions, created_at, updated_at"
)


def _rows(count: int, customer: int, agent: int) -> list[tuple]:
    """Varied deadlines: most tickets' next moment lies ahead, DUE of them have just come due."""
    rng = random.Random(7)
    due = set(rng.sample(range(count), DUE))
    rows = []
    for i in range(count):
        created = NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 20))
        first = created + timedelta(hours=rng.choice((1, 2, 4, 8, 24)))
        resolution = first + timedelta(hours=rng.choice((4, 9, 18, 45)))
        if i in due:
            nxt = NOW - timedelta(seconds=rng.randint(1, 50))
            status, assignee = ("new", None) if i % 2 else ("open", agent)
        else:
            nxt = NOW + timedelta(minutes=rng.randint(1, 60 * 24 * 10))
            status, assignee = rng.choice((("new", None), ("open", agent), ("pending", agent)))
        triage = nxt if (i in due and status == "new") else created + timedelta(minutes=15)
        first_warn = nxt if (i in due and status == "open") else first - timedelta(minutes=20)
        rows.append(
            (customer, None, "question", "normal", status, f"Ticket {i}", "Body", "{}", "web", assignee,
             first if i not in due else nxt + timedelta(hours=1), resolution if i not in due else None,
             triage, first_warn, resolution - timedelta(hours=2) if i not in due else None, nxt, 0, created, created)
        )  # fmt: skip
    return rows


async def _people(settings: Settings) -> tuple[int, int]:
    from portal.accounts.flows import create_account

    customer = await create_account(settings, "customer@bench.test", "Customer", Role.CUSTOMER, password="x" * 12)
    agent = await create_account(settings, "agent@bench.test", "Agent", Role.AGENT, password="x" * 12)
    for n in range(2):
        await create_account(settings, f"boss{n}@bench.test", f"Boss {n}", Role.SUPERVISOR, password="x" * 12)
    return customer.id, agent.id


def _counting(engine) -> list[int]:
    count = [0]
    for name in ("run_querystring", "run_ddl"):
        original = getattr(type(engine), name)

        async def counted(self, *args, _original=original, **kwargs):
            count[0] += 1
            return await _original(self, *args, **kwargs)

        setattr(type(engine), name, counted)  # a benchmark process: patching the class is harmless
    return count


async def run(kind: str, tickets: int) -> tuple[float, int, int, int]:
    async with scratch(kind, "portal_bench") as (url, tmp):
        settings = Settings.from_env({"PORTAL_DATA_DIR": tmp, "PORTAL_DATABASE_URL": url})
        engine = db.current_engine()
        customer, agent = await _people(settings)
        rows = _rows(tickets, customer, agent)
        marks = ", ".join("?" * len(rows[0]))
        if kind == "sqlite":
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                text = rows  # Piccolo registered sqlite3's datetime adapter: stored as the portal stores it
                conn.executemany(f"INSERT INTO ticket ({COLUMNS}) VALUES ({marks})", text)
                conn.execute("ANALYZE")
        else:
            conn = await asyncpg.connect(url)
            columns = [c.strip() for c in COLUMNS.split(",")]
            await conn.copy_records_to_table("ticket", records=rows, columns=columns)
            await conn.execute("ANALYZE")
            await conn.close()
        await db.open_pool(engine)
        count = _counting(engine)
        started = time.perf_counter()
        made = await escalation.run_pass(settings, NOW)
        elapsed = time.perf_counter() - started
        mails = await OutboxMessage.count()
        await db.close_pool(engine)
        return elapsed, count[0], made, mails


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    ok = True
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        elapsed, queries, made, mails = asyncio.run(run(kind, args.tickets))
        passed = elapsed <= 1.0 and mails <= 1000
        ok = ok and passed
        print(
            f"{kind:8} {args.tickets:,} open tickets: one pass {elapsed * 1000:.0f} ms, {queries} queries, "
            f"{made} escalations, {mails} mails queued ({'ok' if passed else 'TOO SLOW'}: target <= 1 s)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
