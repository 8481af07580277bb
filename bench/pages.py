"""What the pages people use most cost: a customer checking a ticket's status, staff in the queue, the
API, articles and search, signed in and not, against a bare Litestar "hello" on the same machine in the
same run, with the server's CPU time per request beside each rate.

    python bench/pages.py [--seconds 5] [--articles 10000] [--database sqlite|postgresql|both]

Data: 10,000 articles; a customer with 50 tickets, one of them with 10 messages; 1,000 tickets in the
staff queue, whose receipts are sent before any clock starts. Each page is requested once before its
clock starts (imports and the index's warm-up, not a page cache: signed-in pages are never cached).
Search lines use a long tail of distinct queries that were never asked before in the run, so no cached
page is replayed; before them the server answers 5 s of other searches, as a server in use has.
`portal serve` runs its default workers (one per CPU, at most 8, on either database). The hello server
runs throughout and is measured before each line and after the last: a line's ratio is to the mean of
the two hellos around it, so both sides of a ratio share the machine's state of those minutes (on a
machine whose neighbours come and go, the hello moved from 18,000 to 31,000 req/s between runs and from
5,000 to 11,000 within one). Signed-in lines send the cookies a signed-in browser has (its session and
its CSRF cookie); anonymous lines send none, as on a first visit (each answer sets a CSRF cookie).
Targets (ratios to hello): signed-in /health >= 0.25; ticket page, my tickets, staff queue >= 0.05; API
ticket >= 0.08; search (distinct) >= 0.03.

The ticket page, my tickets, the staff queue and the API's ticket lines ask for the same unchanged
page again, as a customer checking a ticket's status does: they are served from the copy kept per
user (portal/web/viewer_cache.py) after the per-request check that its tickets are unchanged. What a
page costs when rendered afresh is in bench/queues.py (the queue).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search_latency import corpus, queries  # noqa: E402
from bench.serving import HIGH_RATE_LIMITS, Server, free_port, load, wait_ready  # noqa: E402

PG_ADMIN = os.environ.get("PORTAL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "bench horse battery staple"
TARGETS = {
    "/health, signed in": 0.25,
    "ticket page (10 messages)": 0.05,
    "my tickets (50)": 0.05,
    "staff queue (1,000 tickets)": 0.05,
    "GET /api/tickets/{n}": 0.08,
    "search, distinct, anonymous": 0.03,
    "search, distinct, signed in": 0.03,
}


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode:
        raise SystemExit(f"portal {' '.join(args[:2])} failed: {done.stdout}{done.stderr}")
    return done.stdout.strip()


def sign_in(base: str, email: str) -> str:
    """The Cookie header of a browser that signed in through the form: its session and its CSRF cookie."""
    with httpx.Client(base_url=base) as client:
        client.get("/login").raise_for_status()
        form = {"email": email, "password": PASSWORD, "_csrf_token": client.cookies["csrftoken"]}
        answer = client.post("/login", data=form)
        if answer.status_code != 302 or "portal_session" not in client.cookies:
            raise SystemExit(f"signing in as {email} failed: {answer.status_code}")
        return f"portal_session={client.cookies['portal_session']}; csrftoken={client.cookies['csrftoken']}"


def fill(base: str, customer_token: str, other_token: str, agent_token: str) -> tuple[int, list[int]]:
    """50 tickets of the customer's (one with 10 messages) and 950 of another's: the ticket's number."""

    async def run() -> int:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:

            async def file(token: str, n: int) -> int:
                body = {"type": "question", "subject": f"Order {n} has not arrived", "description": "Where is it?"}
                answer = await client.post("/api/tickets", json=body, headers={"Authorization": f"Bearer {token}"})
                answer.raise_for_status()
                return answer.json()["number"]

            mine = [await file(customer_token, n) for n in range(50)]
            for start in range(0, 950, 50):
                await asyncio.gather(*(file(other_token, n) for n in range(start, start + 50)))
            number = mine[0]
            for n in range(10):
                token = agent_token if n % 2 else customer_token
                text = f"Message {n}: **the parcel** left the [warehouse](/kb) on Monday.\n\n- one\n- two"
                answer = await client.post(
                    f"/api/tickets/{number}/messages", json={"body": text}, headers={"Authorization": f"Bearer {token}"}
                )
                answer.raise_for_status()
            return number

    return asyncio.run(run())


class Hello:
    """A bare Litestar app answering "hello" (bench/hello_app.py) on one granian worker, measured as often as
    the portal's lines are."""

    def __init__(self, seconds: int) -> None:
        self.seconds, self.port = seconds, free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="portal-hello-"))
        self.rates: list[float] = []
        command = [sys.executable, "-m", "granian", "--interface", "asgi", "--port", str(self.port), "--no-ws"]
        self.process = subprocess.Popen(
            [*command, "bench.hello_app:app"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_ready(f"http://127.0.0.1:{self.port}/", process=self.process)

    def rate(self) -> float:
        done = load(f"http://127.0.0.1:{self.port}", ["/"], self.seconds, self.workdir).rate
        self.rates.append(done)
        return done

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(15)


def distinct_searches(count: int, seed: int) -> list[str]:
    """`count` different queries: data-set questions, each with a different pair of words added."""
    # Questions short enough to be searches (the engine refuses over 32 words or 500 characters).
    picked = [q for q, _lang in queries(600) if len(q.split()) <= 20 and len(q) <= 300]
    words = sorted({w.lower() for q in picked for w in q.split() if w.isalpha() and len(w) > 3})
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(f"{rng.choice(picked)} {rng.choice(words)} {rng.choice(words)}")
    return [f"/kb/search?{httpx.QueryParams({'q': q})}" for q in sorted(seen)]


def drain_outbox(env: dict[str, str], timeout: float = 300.0) -> None:
    """Until the server has delivered the receipts of the tickets just filed: it sends them a batch every
    few seconds, too little CPU for `settle` to notice and too much not to bill to the pages measured."""
    query = "SELECT count(*) FROM outbox_message WHERE status = 'pending'"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "PORTAL_DATABASE_URL" in env:

            async def pending() -> int:
                conn = await asyncpg.connect(env["PORTAL_DATABASE_URL"])
                try:
                    return await conn.fetchval(query)
                finally:
                    await conn.close()

            left = asyncio.run(pending())
        else:
            with sqlite3.connect(Path(env["PORTAL_DATA_DIR"]) / "portal.sqlite3") as conn:
                left = conn.execute(query).fetchone()[0]
        if not left:
            return
        time.sleep(1.0)
    raise SystemExit(f"the server still had {left} mails to send after {timeout:.0f} s")


def settle(server: Server, timeout: float = 120.0) -> None:
    """Until the server is idle: the background passes (the receipts of the tickets just filed, the
    recurring-question groups) would otherwise bill their CPU to whichever page is measured meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(1.0)
        if server.cpu_seconds() - before < 0.05:
            return


def measure(server: Server, base: str, paths: list[str], seconds: int, workdir: Path, headers=None, warm=True):
    if warm:
        with httpx.Client(base_url=base, headers=headers or {}) as client:
            for path in dict.fromkeys(paths):
                client.get(path).raise_for_status()
    settle(server)
    before = server.cpu_seconds()
    done = load(base, paths, seconds, workdir, headers)
    cpu_ms = (server.cpu_seconds() - before) * 1000 / max(done.requests, 1)
    return done.rate, cpu_ms


async def _create_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()


async def _drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def run(database: str, articles: Path, slugs: list[str], args, hello: Hello) -> list[tuple]:
    workdir = Path(tempfile.mkdtemp(prefix="portal-pages-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({"PORTAL_DATA_DIR": str(workdir / "data"), "PORTAL_DEMO_ACCOUNTS": "false", **HIGH_RATE_LIMITS})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    pg_name = ""
    if database == "postgresql":
        pg_name = f"portal_pages_{uuid.uuid4().hex[:8]}"
        asyncio.run(_create_database(pg_name))
        env["PORTAL_DATABASE_URL"] = PG_ADMIN.rpartition("/")[0] + f"/{pg_name}"
    port = free_port()
    # As operators run it: production settings (templates read once, JSON logs).
    env.update(
        {"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "b" * 48, "PORTAL_BASE_URL": f"http://127.0.0.1:{port}"}
    )
    server = Server(env, port, None, workdir / "server.log")
    try:
        cli(env, "kb", "import", str(articles))
        for email, role in (
            ("ann@example.com", "customer"),
            ("bob@example.com", "customer"),
            ("agent@example.com", "agent"),
        ):
            cli(env, "createuser", "--email", email, "--role", role, "--password", PASSWORD)
        tokens = {
            e: cli(env, "token", "create", "--email", e).split()[-1]
            for e in ("ann@example.com", "bob@example.com", "agent@example.com")
        }
        server.start()
        base = f"http://127.0.0.1:{server.port}"
        number = fill(base, tokens["ann@example.com"], tokens["bob@example.com"], tokens["agent@example.com"])
        drain_outbox(env)
        ann = {"Cookie": sign_in(base, "ann@example.com")}
        agent = {"Cookie": sign_in(base, "agent@example.com")}
        bearer = {"Authorization": f"Bearer {tokens['ann@example.com']}"}
        searches = distinct_searches(60_000, seed=len(database))
        article_paths = [f"/kb/{slug}" for slug in slugs]
        lines = [
            ("/health, anonymous", ["/health"], None, True),
            ("/health, signed in", ["/health"], ann, True),
            ("ticket page (10 messages)", [f"/tickets/{number}"], ann, True),
            ("my tickets (50)", ["/tickets"], ann, True),
            ("staff queue (1,000 tickets)", ["/staff/tickets"], agent, True),
            ("GET /api/tickets/{n}", [f"/api/tickets/{number}"], bearer, True),
            ("article, signed in", article_paths, ann, True),
            # Every other query each, so both lines ask the same mix (the list is sorted: its second half
            # holds the Russian questions, which match fewer articles than the English ones).
            ("search, distinct, anonymous", searches[0::2], None, False),
            ("search, distinct, signed in", searches[1::2], ann, False),
        ]
        with httpx.Client(base_url=base) as client:  # the engine's caches as a running server has them
            for q, _lang in queries(40):
                client.get("/api/kb/search", params={"q": q}).raise_for_status()
        # A process that has just started pays for its first searches (the first line measured cost 0.5-1 ms
        # a search more than the same line asked later): 5 s of other queries, none of those measured,
        # bring it to the state of a server in use.
        measured = set(searches)
        others = [path for path in distinct_searches(8_000, seed=100 + len(database)) if path not in measured]
        load(base, others, args.seconds, workdir)
        results = []
        settle(server)
        before = hello.rate()
        for name, paths, headers, warm in lines:
            rate, cpu_ms = measure(server, base, paths, args.seconds, workdir, headers, warm)
            settle(server)
            after = hello.rate()
            paired = (before + after) / 2
            results.append((database, name, rate, paired, rate / paired, cpu_ms))
            before = after
        results.append((database, "server processes", server.worker_count(), 0.0, 0.0, 0.0))
        return results
    finally:
        server.stop()
        if pg_name:
            asyncio.run(_drop_database(pg_name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    from kb.frontmatter import slugify

    rows = corpus(args.articles)
    source = Path(tempfile.mkdtemp(prefix="portal-pages-src-")) / "articles.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    slugs = [slugify(row["slug"]) for row in random.Random(7).sample(rows, 200)]

    hello = Hello(args.seconds)
    try:
        databases = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
        results = [line for database in databases for line in run(database, source, slugs, args, hello)]
    finally:
        hello.stop()
    client = "wrk -t2 -c32" if shutil.which("wrk") else "python httpx, 32 connections"
    low, high = min(hello.rates), max(hello.rates)
    print(f"{args.articles} articles; {client}, {args.seconds} s a line; hello {low:.0f}-{high:.0f} req/s")
    print(f"{'database':<11}{'page':<31}{'req/s':>8}{'hello':>8}{'x hello':>9}{'CPU ms/req':>12}  target")
    for database, name, rate, paired, ratio, cpu_ms in results:
        if name == "server processes":
            print(f"{database:<11}{'(portal serve workers: ' + str(rate) + ')':<31}")
            continue
        target = TARGETS.get(name)
        verdict = f">= {target:.2f} {'met' if ratio >= target else 'MISSED'}" if target else ""
        print(f"{database:<11}{name:<31}{rate:8.0f}{paired:8.0f}{ratio:9.3f}{cpu_ms:12.2f}  {verdict}")
    print(
        "Ticket page, my tickets, staff queue and API ticket: the same unchanged page asked again, served "
        "from the copy kept per user after its freshness check (one query); search: never-asked queries."
    )


if __name__ == "__main__":
    main()
