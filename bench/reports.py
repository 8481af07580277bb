"""Every report for a 90-day period over a year of history: 100,000 tickets, 1,000,000 timeline events,
50,000 ratings and 1,000,000 searches, written straight into the database and then ANALYZEd.

    python bench/reports.py [--db sqlite|postgres|both] [--scale 1.0]

Targets: each report within 1 s on PostgreSQL and 2 s on SQLite. PostgreSQL: PORTAL_BENCH_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432/test) names the server; the benchmark creates its own
database `bench_reports` and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auth.tables import Role, User
from portal import db
from portal.reports import catalog
from portal.reports.period import Filters, Period
from portal.settings import Settings

PG = os.environ.get("PORTAL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BENCH_DATABASE = "bench_reports"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
YEAR_MINUTES = 365 * 24 * 60
CHUNK = 50_000
TYPES = ("question", "incident", "problem", "billing", "critical_incident")
PRIORITIES = ("low", "normal", "normal", "high", "urgent")
CHANNELS = ("web", "web", "email", "phone", "api", "chat")
WORDS = (
    "printer offline router reset password invoice vpn login email sync error slow backup restore license "
    "install update crash refund wifi account locked delivery tracking export report calendar mobile app"
).split()
TICKET_COLUMNS = (
    "requester", "organization", "type", "priority", "status", "subject", "description", "custom_fields",
    "channel", "assignee", "staff_group", "first_response_due", "resolution_due", "first_responded_at",
    "resolved_at", "closed_at", "first_response_business_minutes", "paused_business_minutes",
    "resolution_business_minutes", "resolutions", "status_since", "seconds_new", "seconds_open", "seconds_pending",
    "seconds_resolved", "created_at", "updated_at",
)  # fmt: skip
EVENT_COLUMNS = ("ticket", "actor", "kind", "old", "new", "public", "created_at")
RATING_COLUMNS = ("key", "ticket", "resolution", "score", "comment", "agent", "created_at")
SEARCH_COLUMNS = ("token", "query", "locale", "category", "results", "clicked", "source", "created_at")
# The workflow's moves with their odds: answered (open or waiting for the customer), resolved, reopened, closed.
MOVES = {
    "new": (("open", 0.7), ("pending", 0.3)),
    "open": (("pending", 0.6), ("resolved", 0.4)),
    "pending": (("open", 0.6), ("resolved", 0.4)),
    "resolved": (("closed", 0.6), ("open", 0.4)),
}
STAGES = ("new", "open", "pending", "resolved")


class Timeline:
    """One ticket's events from its filing on, in time order and never after NOW, and what they make of
    the ticket: its status, when it was answered, resolved and closed, the time it spent in each status."""

    def __init__(self, rng: random.Random, number: int, created: datetime, events: int) -> None:
        self.number, self.status, self.since, moment = number, "new", created, created
        self.spent: dict[str, int] = {}
        self.answered = self.resolved = self.closed = None
        self.resolutions, self.rows = 0, []
        for _ in range(events):
            step = timedelta(minutes=rng.randint(10, 60 * 20))
            # Whole seconds, as the portal counts the time in each status.
            moment += step if moment + step < NOW else timedelta(seconds=(NOW - moment).total_seconds() // 2)
            if self.status == "closed" or rng.random() < 0.3:
                self.rows.append((number, None, "assigned", "", "agent", False, moment))
                continue
            targets, odds = zip(*MOVES[self.status], strict=True)
            self.move(rng.choices(targets, odds)[0], moment)

    def move(self, target: str, moment: datetime) -> None:
        kind = "reopened" if self.status == "resolved" and target == "open" else "status"
        self.rows.append((self.number, None, kind, self.status, target, True, moment))
        self.spent[self.status] = self.spent.get(self.status, 0) + round((moment - self.since).total_seconds())
        self.answered = self.answered or moment
        if target == "resolved":
            self.resolved, self.resolutions = moment, self.resolutions + 1
        self.closed = moment if target == "closed" else None
        self.status, self.since = target, moment


class History:
    """The generated rows, table by table and chunk by chunk (a million rows never sit in memory at once)."""

    def __init__(self, scale: float, people: dict[str, list[int]], articles: list[int]) -> None:
        self.tickets, self.events = int(100_000 * scale), int(1_000_000 * scale)
        self.ratings, self.searches = int(50_000 * scale), int(1_000_000 * scale)
        self.people, self.articles = people, articles
        self.rng = random.Random(11)
        self.resolved: list[tuple[int, datetime, int]] = []  # ticket, when, agent: for the ratings

    def ticket_rows(self) -> Iterator[tuple[list[tuple], list[tuple]]]:
        """Tickets and their events, chunk by chunk: each ticket's row says what its timeline did."""
        rng, tickets, events = self.rng, [], []
        per_ticket = self.events // max(1, self.tickets)
        for number in range(1, self.tickets + 1):
            created = NOW - timedelta(minutes=rng.randint(1, YEAR_MINUTES))
            first_due = created + timedelta(hours=rng.choice((1, 2, 4, 8, 24)))
            resolution_due = first_due + timedelta(hours=rng.choice((4, 9, 18, 45)))
            agent = rng.choice(self.people["agents"])
            line = Timeline(rng, number, created, per_ticket)
            resolved_at = line.resolved if line.status in ("resolved", "closed") else None
            if resolved_at:
                self.resolved.append((number, resolved_at, agent))
            tickets.append(
                (rng.choice(self.people["customers"]), rng.choice(self.people["organizations"] + [None]),
                 rng.choice(TYPES), rng.choice(PRIORITIES), line.status, f"Ticket {number}", "Body", "{}",
                 rng.choice(CHANNELS), agent, rng.choice(self.people["groups"]), first_due, resolution_due,
                 line.answered, resolved_at, line.closed, rng.randint(5, 900) if line.answered else None,
                 rng.randint(0, 300), rng.randint(60, 5000) if resolved_at else None, line.resolutions,
                 line.since, *(line.spent.get(stage) for stage in STAGES), created, line.since)
            )  # fmt: skip
            events += line.rows
            if len(events) >= CHUNK:
                yield tickets, events
                tickets, events = [], []
        if tickets:
            yield tickets, events

    def rating_rows(self) -> Iterator[tuple[list[tuple]]]:
        rng = self.rng
        chosen = rng.sample(self.resolved, min(self.ratings, len(self.resolved)))
        for start in range(0, len(chosen), CHUNK):
            yield ([
                (f"{ticket}:1", ticket, 1, rng.choice((1, 2, 3, 4, 4, 5, 5, 5)), rng.choice(("", "", "Thanks", "Slow")),
                 agent, when + timedelta(hours=rng.randint(1, 48)))
                for ticket, when, agent in chosen[start : start + CHUNK]
            ],)  # fmt: skip

    def search_rows(self) -> Iterator[tuple[list[tuple]]]:
        rng, rows = self.rng, []
        for n in range(self.searches):
            query = " ".join(rng.sample(WORDS, rng.choice((1, 2, 2, 3))))
            results = 0 if rng.random() < 0.2 else rng.randint(1, 20)
            clicked = rng.choice(self.articles) if results and rng.random() < 0.6 else None
            source = rng.choice(("page", "page", "api", "ticket", "suggest"))
            moment = NOW - timedelta(minutes=rng.randint(1, YEAR_MINUTES))
            rows.append((f"s{n}", query, "en", "", results, clicked, source, moment))
            if len(rows) == CHUNK:
                yield (rows,)
                rows = []
        if rows:
            yield (rows,)


async def _people(settings: Settings) -> tuple[dict[str, list[int]], list[int], User]:
    from auth.tables import Organization
    from kb.tables import Article
    from portal.accounts.flows import create_account
    from portal.tickets.tables import StaffGroup

    async def people(prefix: str, role: Role, count: int) -> list[int]:
        # Without passwords: hashing hundreds of them would cost minutes and measure nothing here.
        rows = [User(email=f"{prefix}{n}@bench.test", name=f"{prefix}{n}", role=role) for n in range(count)]
        return [row["id"] for row in await User.insert(*rows).returning(User.id)]

    boss = await create_account(settings, "boss@bench.test", "Boss", Role.SUPERVISOR, password="x" * 12)
    organizations = []
    for n in range(50):
        org = Organization(name=f"Org {n}", support_plan="premium" if n % 5 == 0 else "standard")
        await org.save()
        organizations.append(org.id)
    groups = []
    for n in range(5):
        group = StaffGroup(name=f"Group {n}")
        await group.save()
        groups.append(group.id)
    articles = []
    for n in range(200):
        article = Article(slug=f"a{n}", title=f"Article {n}", status="published", views=n * 7)
        await article.save()
        articles.append(article.id)
    people = {
        "customers": await people("c", Role.CUSTOMER, 200),
        "agents": await people("a", Role.AGENT, 20),
        "organizations": organizations,
        "groups": groups,
    }
    return people, articles, boss


async def _fill(kind: str, url: str, history: History) -> float:
    started = time.perf_counter()
    # Each source yields chunks of rows for its tables, in this order.
    sources = (
        ((("ticket", TICKET_COLUMNS), ("ticket_event", EVENT_COLUMNS)), history.ticket_rows),
        ((("ticket_rating", RATING_COLUMNS),), history.rating_rows),
        ((("kb_search_log", SEARCH_COLUMNS),), history.search_rows),
    )
    if kind == "sqlite":
        # Piccolo registered sqlite3's datetime adapter: stored as the portal stores it.
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            for tables, chunks in sources:
                for chunk in chunks():
                    for (table, columns), rows in zip(tables, chunk, strict=True):
                        marks = ", ".join("?" * len(columns))
                        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            conn.execute("ANALYZE")
    else:
        conn = await asyncpg.connect(url)
        # As a restore does: rows written whole, without the triggers that keep each ticket's version
        # (a version per timeline row would be a million updates of the ticket table, left to vacuum).
        await conn.execute("SET session_replication_role = replica")
        for tables, chunks in sources:
            for chunk in chunks():
                for (table, columns), rows in zip(tables, chunk, strict=True):
                    await conn.copy_records_to_table(table, records=rows, columns=list(columns))
        await conn.execute("ANALYZE")
        await conn.close()
    return time.perf_counter() - started


async def run(kind: str, scale: float) -> list[tuple[str, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "sqlite":
            url = f"sqlite:///{tmp}/bench.sqlite3"
        else:
            admin = await asyncpg.connect(PG)
            await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
            url = PG.rpartition("/")[0] + "/" + BENCH_DATABASE
        try:
            settings = Settings.from_env({"PORTAL_DATA_DIR": tmp, "PORTAL_DATABASE_URL": url})
            engine = db.engine_for(url)
            db.bind(engine)
            await db.prepare(engine)
            await db.migrate()
            people, articles, boss = await _people(settings)
            history = History(scale, people, articles)
            filled = await _fill(kind, url, history)
            print(f"{kind}: {history.tickets:,} tickets, {history.events:,} events, {history.ratings:,} ratings, "
                  f"{history.searches:,} searches written and analysed in {filled:.0f} s")  # fmt: skip
            await db.open_pool(engine)
            period = Period.of("90", "", "", NOW)
            timings = []
            for name, build in catalog.REPORTS.items():
                await build(period, Filters(), NOW)  # warm: the first query of a kind reads pages from disk
                started = time.perf_counter()
                await build(period, Filters(), NOW)
                alone = time.perf_counter() - started
                started = time.perf_counter()
                await catalog.run(boss, name, period, Filters(), NOW)
                compared = time.perf_counter() - started
                timings.append((name, alone, compared))
            await db.close_pool(engine)
            return timings
        finally:
            if kind == "postgres":
                await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
                await admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the sizes above")
    args = parser.parse_args()
    ok = True
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        target = 2.0 if kind == "sqlite" else 1.0
        for name, alone, compared in asyncio.run(run(kind, args.scale)):
            passed = alone <= target
            ok = ok and passed
            print(
                f"{kind:8} {name:15} 90 days: {alone * 1000:6.0f} ms; with the previous 90 days beside it "
                f"(the page) {compared * 1000:6.0f} ms ({'ok' if passed else 'TOO SLOW'}: target <= {target:.0f} s)"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
