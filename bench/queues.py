"""The staff queue among 100,000 tickets: every view × sort (both ways) among the open tickets and among
all, and every view with each filter; the first page as an agent opens it, a GET /staff/tickets?…
through the whole app (session, the queue choice, the page's rows with every view's count, the
template), in this process.

    python bench/queues.py [--db sqlite|postgres|both] [--tickets 100000] [--runs 5]

PostgreSQL: PORTAL_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) names the
server; the benchmark creates and drops its own database (bench_queue_…). Target: each page answers in
≤ 50 ms of server time, the median of its runs: the request through the ASGI app, timed around the
in-process call until the last byte of its answer, the database's own work included (on PostgreSQL
that runs in the server's process). Beside it, this process's CPU time per request. Every
combination's figures are printed, then the worst, with the load average: a busy machine stretches
every figure. The figures go to stdout, the portal's own log lines (one per request, as in
production) to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auth import organizations
from auth.tables import Role, User
from bench.scratch_db import scratch
from bench.serving import HIGH_RATE_LIMITS
from portal import db
from portal.accounts.flows import create_account
from portal.settings import Settings
from portal.tickets import groups
from portal.tickets.queue_views import SORTS, VIEWS
from portal.web.app import create_app
from portal.web.viewer_cache import ViewerCache, ViewerCacheMiddleware

TARGET_MS = 50.0
AGENTS, GROUPS, ORGS = 20, 5, 50
PASSWORD = "bench horse battery staple"
BASE = "http://bench.test"
COLUMNS = (
    "requester, organization, type, priority, status, subject, description, custom_fields, channel, assignee, "
    "staff_group, first_response_due, first_response_warn_at, first_responded_at, resolution_due, "
    "resolution_warn_at, paused_at, escalated_at, resolutions, resolved_at, created_at, updated_at"
)
# A desk that has run a while: its 100,000 tickets arrived over 120 days; what came in the last ten days
# is mostly still being worked on or resolved (closed a week later), what is older is nearly all closed,
# with a few long-running exceptions: about 6,000 open tickets, the set every count and most views read.
DAYS, RECENT_DAYS = 120, 10
RECENT_STATUSES = {"new": 12, "open": 30, "pending": 18, "resolved": 25, "closed": 15}
OLD_STATUSES = {"open": 5, "pending": 5, "closed": 990}


def _rows(
    count: int, now: datetime, customers: list[int], agents: list[int], groups_: list[int], orgs: list[int]
) -> list[tuple]:
    rng = random.Random(11)
    slugs = ["question", "incident", "pricing_request", "critical_incident"]
    rows = []
    for i in range(count):
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * DAYS))
        weights = RECENT_STATUSES if now - created < timedelta(days=RECENT_DAYS) else OLD_STATUSES
        status = rng.choices(list(weights), weights=list(weights.values()))[0]
        done = status in ("resolved", "closed")
        first = created + timedelta(hours=rng.choice((1, 2, 4, 8, 24)))
        resolution = first + timedelta(hours=rng.choice((4, 9, 18, 45)))
        answered = created + (min(first, now) - created) * rng.random() if status != "new" else None
        resolved = min(now, answered + (resolution - answered) * rng.random() * 1.2) if done else None
        updated = resolved if done else created + (now - created) * rng.random()
        unassigned = rng.random() < (0.7 if status == "new" else 0.02 if done else 0)
        escalated = created if rng.random() < (0.02 if status in ("new", "open") else 0.005) else None
        rows.append(
            (rng.choice(customers), rng.choice([*orgs, None]), rng.choice(slugs),
             rng.choice(("low", "normal", "normal", "high", "urgent")), status, f"Ticket {i} about the printer",
             "Body", "{}", rng.choice(("web", "email", "api", "phone")), None if unassigned else rng.choice(agents),
             rng.choice([*groups_, None]), first, first - (first - created) * 0.2, answered, resolution,
             resolution - (resolution - created) * 0.2, updated if status == "pending" else None, escalated,
             1 if done else 0, resolved, created, updated)
        )  # fmt: skip
    return rows


@dataclass(frozen=True, slots=True)
class Desk:
    viewer: str  # the agent who opens the queue (a member of the first group)
    customers: list[int]
    agents: list[int]
    groups: list[int]
    organizations: list[int]


async def _setup(settings: Settings) -> Desk:
    async def people(prefix: str, count: int, role: Role) -> list[int]:
        made = [User(email=f"{prefix}{n}@bench.test", name=f"{prefix} {n}", role=role.value) for n in range(count)]
        return [row["id"] for row in await User.insert(*made).returning(User.id)]

    orgs = [(await organizations.create(f"Org {n}")).id for n in range(ORGS)]
    customers = await people("customer", 200, Role.CUSTOMER)
    viewer = await create_account(settings, "viewer@bench.test", "Viewer Agent", Role.AGENT, password=PASSWORD)
    agents = [viewer.id, *await people("agent", AGENTS - 1, Role.AGENT)]
    made = [(await groups.create_group(f"Group {n}")).id for n in range(GROUPS)]
    for n, agent in enumerate(agents):
        await groups.add_member(made[n % GROUPS], agent, False)
    return Desk(viewer.email, customers, agents, made, orgs)


async def _load(kind: str, url: str, rows: list[tuple]) -> None:
    """The rows, then the planner's statistics as a running portal has them: its daily pass gathers
    SQLite's, PostgreSQL's autovacuum its own (index-only scans also need its vacuum)."""
    if kind == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO ticket ({COLUMNS}) VALUES ({marks})", rows)
        await db.refresh_statistics(db.current_engine())
        return
    conn = await asyncpg.connect(url)
    await conn.copy_records_to_table("ticket", records=rows, columns=[c.strip() for c in COLUMNS.split(",")])
    await conn.execute("VACUUM ANALYZE")
    await conn.close()


def _choices(desk: Desk) -> list[tuple[str, dict[str, str]]]:
    """Every view × sort × order, among the open tickets (the default) and among all; and each view
    with each filter, sorted by deadline."""
    sets = [
        (f"{v} {s} {o}{' status=all' if status else ''}", {"view": v, "sort": s, "order": o, **status})
        for status in ({}, {"status": "all"})
        for v in VIEWS
        for s in SORTS
        for o in ("asc", "desc")
    ]
    org, agent, group = desk.organizations[0], desk.agents[1], desk.groups[0]
    filters = {
        "status=pending": {"status": "pending"},
        "status=resolved": {"status": "resolved"},
        "status=closed": {"status": "closed"},
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
    sets += [(f"{v} {name}", {"view": v, **f}) for v in VIEWS for name, f in filters.items()]
    return sets


def _settings(url: str, folder: str) -> Settings:
    # As operators run it: production settings (templates read once); no background passes to time too.
    return Settings.from_env(
        {
            "PORTAL_ENV": "production",
            "PORTAL_SECRET_KEY": "b" * 48,
            "PORTAL_BASE_URL": BASE,
            "PORTAL_DATA_DIR": folder,
            "PORTAL_DATABASE_URL": url,
            "PORTAL_DEMO_ACCOUNTS": "false",
            "PORTAL_BACKGROUND_JOBS": "false",
            **HIGH_RATE_LIMITS,
        }
    )


async def _sign_in(client: httpx.AsyncClient, email: str) -> None:
    (await client.get("/login")).raise_for_status()
    form = {"email": email, "password": PASSWORD, "_csrf_token": client.cookies["csrftoken"]}
    answer = await client.post("/login", data=form)
    if answer.status_code != 302:
        raise SystemExit(f"signing in as {email} failed: {answer.status_code}")


async def _timed(client: httpx.AsyncClient, path: str) -> tuple[float, float]:
    """(wall ms, this process's CPU ms) of one page, which must answer 200."""
    wall, cpu = time.perf_counter(), time.process_time()
    answer = await client.get(path)
    wall, cpu = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"{path} answered {answer.status_code}")
    return wall, cpu


async def run(kind: str, tickets: int, runs: int) -> list[tuple[str, float, float]]:
    async with scratch(kind, "bench_queue") as (url, folder):
        settings = _settings(url, folder)
        desk = await _setup(settings)
        now = datetime.now(UTC)
        await _load(kind, url, _rows(tickets, now, desk.customers, desk.agents, desk.groups, desk.organizations))
        app = create_app(settings)
        for middleware in app.middleware:  # every page rendered: no copy kept per viewer is replayed
            if isinstance(middleware, ViewerCacheMiddleware):
                middleware.cache = ViewerCache(max_bytes=0)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's own line per request
        timings = []
        async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            await _sign_in(client, desk.viewer)
            for label, query in _choices(desk):
                path = f"/staff/tickets?{urlencode(query)}"
                await _timed(client, path)  # warm: the first run pays for the plan and the cache
                walls, cpus = zip(*[await _timed(client, path) for _ in range(runs)], strict=True)
                timings.append((label, statistics.median(walls), statistics.median(cpus)))
                print(f"{kind:8} {label:36} {timings[-1][1]:6.1f} ms  (cpu {timings[-1][2]:5.1f} ms)", flush=True)
        return timings


def _load_average() -> str:
    return ", ".join(f"{figure:.2f}" for figure in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="timed requests per combination (the median counts)")
    args = parser.parse_args()
    print(f"load average before: {_load_average()} ({os.cpu_count()} CPUs)")
    results = {kind: asyncio.run(run(kind, args.tickets, args.runs)) for kind in ("sqlite", "postgres")
               if args.db in (kind, "both")}  # fmt: skip
    print(f"load average after: {_load_average()}")
    ok = True
    for kind, timings in results.items():
        walls = [wall for _label, wall, _cpu in timings]
        label, wall, cpu = max(timings, key=lambda timing: timing[1])
        slow = [timing for timing in timings if timing[1] > TARGET_MS]
        ok = ok and not slow
        print(
            f"{kind:8} {args.tickets:,} tickets, {len(timings)} pages: median {statistics.median(walls):.1f} ms, "
            f"p90 {statistics.quantiles(walls, n=10)[-1]:.1f} ms, worst {wall:.1f} ms (cpu {cpu:.1f} ms): {label}; "
            f"{'ok' if not slow else f'{len(slow)} over {TARGET_MS:.0f} ms'}"
        )
        for label, wall, _cpu in sorted(slow, key=lambda timing: -timing[1])[:15]:
            print(f"{kind:8}   slow: {label:36} {wall:6.1f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
