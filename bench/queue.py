"""The staff queues among 100,000 tickets: every view × sort (both ways) and a few filters, first page
with every view's count, as the page asks for them.

    python bench/queue.py [--db sqlite|postgres|both] [--tickets 100000]

PostgreSQL: PORTAL_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) names the
server; the benchmark creates and drops its own database (bench_queue_…). Target: ≤ 50 ms of server
time for each query set (one page of rows and the nine counts).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on the path, where this file would stand in for the
# standard library's `queue` (asyncio's thread pool imports it): the project's root takes its place.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent), *(entry for entry in sys.path if entry != str(HERE))]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import random  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import asyncpg  # noqa: E402

from auth.tables import Role, User  # noqa: E402
from bench.scratch_db import scratch  # noqa: E402
from portal import db  # noqa: E402
from portal.tickets import groups  # noqa: E402
from portal.tickets.queue_views import SORTS, VIEWS, Choice, listing  # noqa: E402
from portal.tickets.tables import TicketType  # noqa: E402

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TARGET_MS = 50.0
AGENTS, GROUPS, ORGS = 20, 5, 50
COLUMNS = (
    "requester, organization, type, priority, status, subject, description, custom_fields, channel, assignee, "
    "staff_group, first_response_due, first_response_warn_at, first_responded_at, resolution_due, "
    "resolution_warn_at, paused_at, escalated_at, resolutions, created_at, updated_at"
)
# A desk that has run a while: nearly all of its 100,000 tickets are done, 5 % are still being worked
# on (5,000 open tickets, the set every count and most views read).
STATUSES = {"closed": 840, "resolved": 110, "new": 10, "open": 25, "pending": 15}


def _rows(count: int, customers: list[int], agents: list[int], groups_: list[int], orgs: list[int]) -> list[tuple]:
    rng = random.Random(11)
    slugs = ["question", "incident", "pricing_request", "critical_incident"]
    rows = []
    for i in range(count):
        created = NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 120))
        status = rng.choices(list(STATUSES), weights=list(STATUSES.values()))[0]
        first = created + timedelta(hours=rng.choice((1, 2, 4, 8, 24)))
        resolution = first + timedelta(hours=rng.choice((4, 9, 18, 45)))
        answered = first - timedelta(minutes=rng.randint(1, 50)) if status != "new" else None
        assignee = None if status == "new" and rng.random() < 0.7 else rng.choice(agents)
        updated = created + (NOW - created) * rng.random() if status not in ("closed", "resolved") else resolution
        rows.append(
            (rng.choice(customers), rng.choice([*orgs, None]), rng.choice(slugs),
             rng.choice(("low", "normal", "normal", "high", "urgent")), status, f"Ticket {i} about the printer",
             "Body", "{}", rng.choice(("web", "email", "api", "phone")), assignee,
             rng.choice([*groups_, None]), first, first - (first - created) * 0.2, answered, resolution,
             resolution - (resolution - created) * 0.2, updated if status == "pending" else None,
             created if status in ("new", "open") and rng.random() < 0.02 else None, 0, created, updated)
        )  # fmt: skip
    return rows


async def _setup() -> tuple[list[int], list[int], list[int], list[int]]:
    from auth import organizations

    async def people(prefix: str, count: int, role: Role) -> list[int]:
        made = [User(email=f"{prefix}{n}@bench.test", name=f"{prefix} {n}", role=role.value) for n in range(count)]
        return [row["id"] for row in await User.insert(*made).returning(User.id)]

    orgs = [(await organizations.create(f"Org {n}")).id for n in range(ORGS)]
    customers = await people("customer", 200, Role.CUSTOMER)
    agents = await people("agent", AGENTS, Role.AGENT)
    made = [(await groups.create_group(f"Group {n}")).id for n in range(GROUPS)]
    for n, agent in enumerate(agents):
        await groups.add_member(made[n % GROUPS], agent, False)
    return customers, agents, made, orgs


async def _load(kind: str, url: str, rows: list[tuple]) -> None:
    if kind == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO ticket ({COLUMNS}) VALUES ({marks})", rows)
            conn.execute("ANALYZE")
        return
    conn = await asyncpg.connect(url)
    await conn.copy_records_to_table("ticket", records=rows, columns=[c.strip() for c in COLUMNS.split(",")])
    await conn.execute("VACUUM ANALYZE")  # as autovacuum leaves a table: index-only scans need it
    await conn.close()


def _choices(group: int, org: int, agent: int) -> list[tuple[str, Choice]]:
    """Every view × sort × order; and each view with a few filters, sorted by deadline."""
    sets = [(f"{v} {s} {o}", Choice(view=v, sort=s, order=o)) for v in VIEWS for s in SORTS for o in ("asc", "desc")]
    filters = {
        "status=all": {"status": "all"},
        "priority=urgent": {"priority": "urgent"},
        "type=incident": {"type": "incident"},
        f"organization={org}": {"organization": str(org)},
        "channel=email": {"channel": "email"},
        "assignee=none": {"assignee": "none"},
        f"assignee={agent}": {"assignee": str(agent)},
        f"group={group}": {"group": str(group)},
        "q=printer": {"q": "printer"},
        "q=#1234": {"q": "#1234"},
    }
    sets += [(f"{v} {name}", Choice(view=v, **f)) for v in VIEWS for name, f in filters.items()]
    return sets


async def run(kind: str, tickets: int, verbose: bool) -> list[tuple[str, float]]:
    async with scratch(kind, "bench_queue") as (url, _folder):
        customers, agents, made, orgs = await _setup()
        assert await TicketType.count() > 0
        await _load(kind, url, _rows(tickets, customers, agents, made, orgs))
        engine = db.current_engine()
        await db.open_pool(engine)
        viewer = await User.objects().where(User.id == agents[0]).first()
        timings = []
        for label, choice in _choices(made[0], orgs[0], agents[1]):
            await listing(viewer, choice, NOW)  # warm: the first run pays for the plan and the cache
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                await listing(viewer, choice, NOW)
                runs.append((time.perf_counter() - started) * 1000)
            timings.append((label, statistics.median(runs)))
            if verbose:
                print(f"{kind:8} {label:40} {timings[-1][1]:6.1f} ms", flush=True)
        await db.close_pool(engine)
        return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--verbose", action="store_true", help="print every query set's time")
    args = parser.parse_args()
    ok = True
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        timings = asyncio.run(run(kind, args.tickets, args.verbose))
        times = [ms for _label, ms in timings]
        slow = [(label, ms) for label, ms in timings if ms > TARGET_MS]
        ok = ok and not slow
        print(
            f"{kind:8} {args.tickets:,} tickets, {len(timings)} query sets (page + 9 counts): "
            f"median {statistics.median(times):.1f} ms, p90 {statistics.quantiles(times, n=10)[-1]:.1f} ms, "
            f"max {max(times):.1f} ms ({'ok' if not slow else f'{len(slow)} over {TARGET_MS:.0f} ms'})"
        )
        for label, ms in sorted(slow, key=lambda item: -item[1])[:15]:
            print(f"{kind:8}   slow: {label:40} {ms:6.1f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
