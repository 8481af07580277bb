"""Filing load through the tickets API: 50 keep-alive clients file 2,000 tickets into a real
`portal serve`, then the database is asked whether every acknowledged ticket is really there.

    python bench/ticket_load.py [--db sqlite|postgres|both] [--tickets 2000] [--clients 50] [--kill]
                                [--pg-url postgresql://postgres@127.0.0.1:5432/test] [--workers N]

Each run gets a fresh data directory (and, for PostgreSQL, a fresh database `portal_bench_<random>`
made through the --pg-url admin connection and dropped afterwards), the demo accounts, and a token
for the demo customer from `portal token create`. Every ticket carries its own Idempotency-Key.

--kill: after about half of the tickets the server's process group gets SIGKILL; it is started
again and the clients retry what failed with the same keys. Then every ticket acknowledged before
the kill must be in the database with its receipt mail queued, and no key may have made two tickets.

Targets: >= 200 tickets/s on SQLite, >= 400 on PostgreSQL, 0 errors, 0 lost.
Only 127.0.0.1 is ever contacted; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.serving import HIGH_RATE_LIMITS, Server, free_port  # noqa: E402

NUMBER_BASE = 1000  # portal.tickets.tables.NUMBER_BASE: ticket #1001 has id 1
TARGETS = {"sqlite": 200.0, "postgres": 400.0}
REQUEST_TIMEOUT_S = 30
RUN_TIMEOUT_S = 600


@dataclass
class Tally:
    acked: dict[str, int] = field(default_factory=dict)  # idempotency key -> ticket number
    acked_before_kill: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)  # final failures, by kind
    retries: int = 0
    killed_at: float | None = None
    down_s: float = 0.0  # from the kill until the restarted server was ready
    in_db_at_kill: int = 0  # the run's tickets committed when the server died
    server_cpu_s: float = 0.0  # without --kill: the server's CPU time during the load
    client_cpu_s: float = 0.0
    workers: int = 0  # the server's worker processes, as `portal serve` chose or --workers said
    # When the clients were ready: the clock, the server's CPU time, this process's CPU time.
    start: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams, opened on first use and again after a failure:
    all a filing client needs, at a fraction of httpx's CPU (1.1 ms a request with httpx, on the same two
    CPUs as the server and its database, which counted against the server's rate)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post_json(self, path: str, body: dict, headers: dict[str, str]) -> tuple[int, bytes]:
        """(status, body) of one POST; raises OSError, asyncio.IncompleteReadError or TimeoutError, after
        which the next call connects afresh."""
        try:
            return await asyncio.wait_for(self._post(path, json.dumps(body).encode(), headers), REQUEST_TIMEOUT_S)
        except BaseException:
            self.close()
            raise

    async def _post(self, path: str, data: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        lines = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Content-Type: application/json"]
        lines += [f"Content-Length: {len(data)}", *(f"{name}: {value}" for name, value in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        fields: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        if "chunked" in fields.get("transfer-encoding", ""):
            answer = b""
            while size := int((await reader.readline()).split(b";")[0], 16):
                answer += (await reader.readexactly(size + 2))[:-2]
            await reader.readline()
        else:
            answer = await reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection") == "close":
            self.close()
        return status, answer

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def portal_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode:  # subprocess.run's timeout above bounds the wait
        raise SystemExit(f"portal {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


async def file_all(
    url: str, token: str, keys: list[str], clients: int, tally: Tally, server: Server, kill: bool, count_tickets
):
    """Post every key's ticket; in kill mode, kill and restart the server halfway and retry failures."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for key in keys:
        queue.put_nowait(key)
    half = len(keys) // 2
    up = asyncio.Event()
    up.set()
    restarts: list[asyncio.Task] = []  # at most one
    body = {"type": "question", "description": "Filed by the load benchmark.", "priority": "normal"}
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + RUN_TIMEOUT_S

    async def restart() -> None:
        # A moment later than the ack that triggered it, so that some filings are mid-flight.
        await asyncio.sleep(random.uniform(0.01, 0.05))
        up.clear()
        tally.killed_at = time.monotonic()
        tally.acked_before_kill = dict(tally.acked)
        await asyncio.to_thread(server.kill)
        # Tickets committed but never acknowledged are retried below: they must not double.
        tally.in_db_at_kill = await count_tickets()
        await asyncio.to_thread(server.start)
        tally.down_s = time.monotonic() - tally.killed_at
        up.set()

    async def one(client: Connection, key: str) -> None:
        attempt = 0
        while True:
            await up.wait()
            started = time.perf_counter()
            try:
                status, answer = await client.post_json(
                    path, {**body, "subject": f"Load test {key}"}, {**headers, "Idempotency-Key": key}
                )
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                kind = type(exc).__name__
            else:
                if 200 <= status < 300:
                    tally.latencies.append(time.perf_counter() - started)
                    tally.acked[key] = json.loads(answer)["number"]
                    if kill and not restarts and len(tally.acked) >= half:
                        restarts.append(asyncio.get_running_loop().create_task(restart()))
                    return
                kind = f"HTTP {status}"
            # Without --kill every failure counts; with it, failures are expected around the restart
            # and are retried with the same key, as a client that never saw an answer must do.
            attempt += 1
            if not kill or attempt > 20 or time.monotonic() > deadline:
                tally.error(kind)
                return
            tally.retries += 1
            await asyncio.sleep(min(0.1 * 2**attempt, 2.0))

    async def worker(client: Connection) -> None:
        try:
            while not queue.empty():
                await one(client, queue.get_nowait())
        finally:
            client.close()

    where = urlsplit(url)
    path = where.path
    ready = [Connection(where.hostname or "127.0.0.1", where.port or 80) for _ in range(clients)]
    tally.start = (time.perf_counter(), server.cpu_seconds(), time.process_time())
    await asyncio.wait_for(asyncio.gather(*(worker(client) for client in ready)), RUN_TIMEOUT_S + 60)
    if restarts:
        await restarts[0]


@dataclass
class Stored:
    by_key: dict[str, int]  # the run's idempotency key -> ticket number
    total: int  # the tickets added after the `after` id (the demo's come before): more than the keys means duplicates
    newest: int  # the highest ticket id
    receipts: set[int]  # ticket numbers with a queued receipt ("[#<number>] ..." subject)


async def stored(database_url: str, sqlite_path: Path | None, prefix: str, after: int = 0) -> Stored:
    """Read straight from the database, not through the portal."""
    ticket_sql = "SELECT id, idempotency_key FROM ticket"
    outbox_sql = "SELECT subject FROM outbox_message WHERE subject LIKE '[#%'"
    if sqlite_path is not None:
        with contextlib.closing(sqlite3.connect(sqlite_path, timeout=30)) as conn:
            tickets = conn.execute(ticket_sql).fetchall()
            subjects = [row[0] for row in conn.execute(outbox_sql)]
    else:
        conn = await asyncpg.connect(database_url)
        try:
            tickets = [tuple(r) for r in await conn.fetch(ticket_sql)]
            subjects = [r["subject"] for r in await conn.fetch(outbox_sql)]
        finally:
            await conn.close()
    by_key = {}
    for ticket_id, key in tickets:
        _requester, _sep, raw = (key or "").partition(":")
        if raw.startswith(prefix):
            by_key[raw] = ticket_id + NUMBER_BASE
    receipts = {int(s[2 : s.index("]")]) for s in subjects if "]" in s and s[2 : s.index("]")].isdigit()}
    newest = max((ticket_id for ticket_id, _key in tickets), default=0)
    return Stored(by_key, sum(1 for ticket_id, _key in tickets if ticket_id > after), newest, receipts)


async def count_tickets(database_url: str, sqlite_path: Path | None, prefix: str, after: int) -> int:
    return (await stored(database_url, sqlite_path, prefix, after)).total


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def create_pg_database(admin_url: str) -> tuple[str, str]:
    name = f"portal_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, f"{admin_url.rpartition('/')[0]}/{name}"


async def drop_pg_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def run_one(db: str, args: argparse.Namespace) -> bool:
    """One full run on one database; prints its figures and returns whether it met the targets."""
    with tempfile.TemporaryDirectory(prefix=f"portal-bench-{db}-") as tmp:
        data_dir = Path(tmp) / "data"
        pg_name = None
        if db == "postgres":
            pg_name, database_url = asyncio.run(create_pg_database(args.pg_url))
            sqlite_path = None
        else:
            sqlite_path = data_dir / "portal.sqlite3"
            database_url = f"sqlite:///{sqlite_path}"
        port = free_port()
        env = {
            **os.environ,
            "PORTAL_DATA_DIR": str(data_dir),
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_DEMO_ACCOUNTS": "true",
            "PORTAL_HOST": "127.0.0.1",
            "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
            **HIGH_RATE_LIMITS,
        }
        server = Server(env, port, args.workers, Path(tmp) / "server.log")
        try:
            server.start()
            token = portal_cli(env, "token", "create", "--email", "customer@example.com", "--name", "bench")
            prefix = f"bench-{uuid.uuid4().hex[:8]}-"
            keys = [f"{prefix}{n:05d}" for n in range(args.tickets)]
            tally = Tally(workers=server.worker_count())
            demo = asyncio.run(stored(database_url, sqlite_path, prefix)).newest  # the demo's tickets
            asyncio.run(
                file_all(
                    f"http://127.0.0.1:{port}/api/tickets",
                    token,
                    keys,
                    args.clients,
                    tally,
                    server,
                    args.kill,
                    lambda: count_tickets(database_url, sqlite_path, prefix, demo),
                )
            )
            started, server_cpu, client_cpu = tally.start
            elapsed = time.perf_counter() - started
            tally.server_cpu_s = server.cpu_seconds() - server_cpu
            tally.client_cpu_s = time.process_time() - client_cpu
            found = asyncio.run(stored(database_url, sqlite_path, prefix, demo))
        finally:
            server.stop()
            if pg_name:
                asyncio.run(drop_pg_database(args.pg_url, pg_name))
            if args.keep_log:
                print((Path(tmp) / "server.log").read_text(errors="replace")[-4000:])
    return report(db, args, tally, elapsed, found)


def report(db: str, args, tally: Tally, elapsed: float, found: Stored) -> bool:
    lost = [key for key, number in tally.acked.items() if found.by_key.get(key) != number]
    rate = len(tally.acked) / elapsed
    errors = sum(tally.errors.values())
    print(
        f"\n== {db}: {args.tickets} tickets, {args.clients} clients, {tally.workers} worker(s)"
        f"{', kill -9 halfway' if args.kill else ''}"
    )
    print(
        f"  acknowledged      {len(tally.acked)} in {elapsed:.1f} s = {rate:.0f} tickets/s "
        f"(target >= {TARGETS[db]:.0f})"
    )
    print(
        f"  latency (2xx)     p50 {percentile(tally.latencies, 0.50) * 1000:.0f} ms, "
        f"p99 {percentile(tally.latencies, 0.99) * 1000:.0f} ms, mean {statistics.fmean(tally.latencies) * 1000:.0f} ms"
    )
    print(f"  errors            {errors} {tally.errors or ''}")
    if not args.kill:
        print(
            f"  CPU               server {tally.server_cpu_s:.1f} s "
            f"({tally.server_cpu_s / max(1, len(tally.acked)) * 1000:.1f} ms per ticket), "
            f"this client {tally.client_cpu_s:.1f} s, on {os.cpu_count()} CPUs"
        )
    print(
        f"  in the database   {found.total} tickets for {args.tickets} keys "
        f"({'no duplicates' if found.total <= args.tickets else 'DUPLICATES'})"
    )
    print(f"  acknowledged but missing from the database: {len(lost)}")
    ok = not lost and not errors and found.total <= args.tickets
    if args.kill:
        before = tally.acked_before_kill
        missing_before = [key for key, number in before.items() if found.by_key.get(key) != number]
        no_receipt = [number for number in before.values() if number not in found.receipts]
        print(f"  retries           {tally.retries} (same keys); server down {tally.down_s:.1f} s")
        print(
            f"  at the kill       {tally.in_db_at_kill} tickets committed, {len(before)} acknowledged: "
            f"{tally.in_db_at_kill - len(before)} committed without an answer, then retried"
        )
        print(
            f"  acknowledged before the kill: {len(before)}; missing {len(missing_before)}; "
            f"without a queued receipt {len(no_receipt)}"
        )
        ok = ok and bool(before) and not missing_before and not no_receipt
    else:
        ok = ok and rate >= TARGETS[db]
    print(f"  result            {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None, help="portal serve --workers (default: its own)")
    parser.add_argument("--kill", action="store_true", help="kill -9 the server halfway, restart, retry")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test", help="admin connection")
    parser.add_argument("--keep-log", action="store_true", help="print the end of the server's log")
    args = parser.parse_args()
    if urlsplit(args.pg_url).hostname not in {"127.0.0.1", "localhost"}:
        parser.error("--pg-url must point at 127.0.0.1")
    results = [run_one(db, args) for db in (["sqlite", "postgres"] if args.db == "both" else [args.db])]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
