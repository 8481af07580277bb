"""Delivering a backlog from the outbox: N queued mails sent into a Maildir and to a real SMTP server.

    python bench/outbox.py [--database sqlite|postgres|both] [--mails 2000] [--transport maildir|smtp|both]

Each run queues the mails in a scratch database and calls the sender's pass back to back until the
outbox is empty; it prints mails a second, this process's CPU time a mail (the SMTP server runs in a
child process, PostgreSQL in its own: neither is counted), and how many passes it took (the portal runs
one every 2 seconds, so passes × 2 s is the least time a burst takes to leave at that pace).
PostgreSQL: PORTAL_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) names the
server; the benchmark creates and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch_db import scratch
from portal import db
from portal.db import write_transaction
from portal.jobs.passes import MAIL_EVERY_S
from portal.notify import sender
from portal.notify.outbox import enqueue_many, prepare_each
from portal.notify.tables import OutboxMessage

FROM = "Support <support@bench.test>"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def smtp_server() -> Iterator[str]:
    """aiosmtpd in a child process that accepts and discards every message."""
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _try in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the SMTP server did not start")
        yield f"smtp://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(10)


async def _queue(mails: int) -> None:
    people = [(f"user{n}@bench.test", f"Пользователь {n}") for n in range(mails)]
    half = mails // 2
    english = prepare_each(people[:half], "password_reset", "en", link="http://x/reset?t=1", site_name="Bench")
    russian = prepare_each(people[half:], "password_reset", "ru", link="http://x/reset?t=1", site_name="Бенч")
    async with write_transaction():
        await enqueue_many(english + russian)


async def run(kind: str, transport_kind: str, mails: int, smtp_url: str) -> tuple[float, float, int, int]:
    async with scratch(kind, "portal_bench") as (_url, tmp):
        engine = db.current_engine()
        await db.open_pool(engine)
        try:
            await _queue(mails)
            if transport_kind == "smtp":
                transport: sender.Transport = sender.SmtpTransport(smtp_url)
            else:
                transport = sender.MaildirTransport(Path(tmp) / "mail")
            passes = sent = 0
            wall, cpu = time.perf_counter(), time.process_time()
            while True:
                passes += 1
                done, failed = await sender.deliver_due(transport, FROM)
                sent += done
                if failed:
                    raise RuntimeError(f"{failed} mails failed")
                if not done:
                    break
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            left = await OutboxMessage.count().where(OutboxMessage.status != "sent")
            if sent != mails or left:
                raise RuntimeError(f"sent {sent} of {mails}, {left} left")
            return wall, cpu, passes - 1, sent
        finally:
            await db.close_pool(engine)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--transport", choices=("maildir", "smtp", "both"), default="both")
    parser.add_argument("--mails", type=int, default=2000)
    args = parser.parse_args()
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    transports = ("maildir", "smtp") if args.transport == "both" else (args.transport,)
    with smtp_server() as smtp_url:
        for kind in kinds:
            for transport in transports:
                wall, cpu, passes, sent = asyncio.run(run(kind, transport, args.mails, smtp_url))
                print(
                    f"{kind:8} {transport:7} {sent:,} mails: {sent / wall:6.0f} mails/s, "
                    f"{cpu / sent * 1000:5.2f} ms CPU a mail, {passes} passes "
                    f"(>= {passes * MAIL_EVERY_S:.0f} s at one pass every {MAIL_EVERY_S:.0f} s)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
