"""Inbound mail throughput: 1,000 messages (new requests and replies, English and Russian, some with
attachments) in a real dovecot mailbox, taken by one `portal mail fetch`; then 400 more taken by two
`portal mail fetch` processes at once, which must make no duplicate.

    python bench/inbound.py [--postgres postgresql://postgres@127.0.0.1:5432/test] [--messages 1000]

Prints messages/s of the fetch (process start-up included) on SQLite, and on PostgreSQL when given.
Target: >= 50 messages/s; two pollers: every message exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.channels.conftest import start  # noqa: E402

CUSTOMERS = 20
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
SUBJECTS = {
    "en": ["Printer jams", "VPN drops every hour", "Invoice is wrong", "Cannot sign in", "Export fails"],
    "ru": ["Не печатает принтер", "Обрывается VPN", "Ошибка в счёте", "Не могу войти", "Не работает выгрузка"],
}
BODIES = {
    "en": "Hello,\n\nsince yesterday it does not work. What should I do?\n\nThanks,\n{name}\n-- \nAcme Ltd",
    "ru": "Здравствуйте!\n\nСо вчерашнего дня не работает. Что делать?\n\nСпасибо,\n{name}\n-- \nООО «Ромашка»",
}


def letter(sender: str, subject: str, text: str, with_file: bool) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "support@bench.test", subject
    message["Message-ID"] = make_msgid(domain="client.test")
    message.set_content(text)
    if with_file:
        message.add_attachment(PNG, maintype="image", subtype="png", filename="screen.png")
    return message.as_bytes()


def messages(count: int, numbers: list[int], rng: random.Random, tag: str) -> list[bytes]:
    """70% new requests, 30% replies by [#N]; half Russian; every tenth with a picture."""
    out = []
    for n in range(count):
        locale = "ru" if n % 2 else "en"
        who = n % CUSTOMERS
        text = BODIES[locale].format(name=f"Customer {who}")
        if n % 10 < 3 and numbers:
            number = numbers[who]
            subject = f"Re: [#{number}] {SUBJECTS[locale][n % 5]}"
            text = "It still fails.\n\nOn Mon, Support wrote:\n> Please try again."
        else:
            subject = f"{SUBJECTS[locale][n % 5]} ({tag} {n})"
        out.append(letter(f"c{who}@bench.test", subject, text, with_file=n % 10 == 0))
    rng.shuffle(out)
    return out


async def prepare(database_url: str, data_dir: Path) -> list[int]:
    """Migrate, create the customers and one ticket each for the replies to answer."""
    from auth import users
    from portal import db
    from portal.settings import Settings
    from portal.tickets.filing import NewTicket, open_ticket
    from portal.tickets.visibility import number_of

    settings = Settings.from_env(env(database_url, data_dir))
    engine = db.engine_for(database_url)
    db.bind(engine)
    await db.prepare(engine)
    await db.migrate()
    numbers = []
    for n in range(CUSTOMERS):
        user = await users.create_user(f"c{n}@bench.test", f"Customer {n}")
        ticket = await open_ticket(settings, user, NewTicket(type="question", subject="Earlier", description="x"))
        numbers.append(number_of(ticket.id))
    return numbers


async def counts(database_url: str) -> dict[str, int]:
    from portal import db
    from portal.channels.tables import InboundMail
    from portal.tickets.tables import Message, Ticket

    db.bind(db.engine_for(database_url))
    subjects = [row["subject"] for row in await Ticket.select(Ticket.subject).where(Ticket.channel == "email")]
    return {
        "tickets": len(subjects),
        "distinct": len(set(subjects)),
        "replies": await Message.count(),
        "inbound": await InboundMail.count(),
    }


def env(database_url: str, data_dir: Path, imap_url: str = "") -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")},
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_IMAP_URL": imap_url,
        "PORTAL_MAIL_FROM": "Support <support@bench.test>",
        "PORTAL_BASE_URL": "http://bench.test",
    }


def fetch(database_url: str, data_dir: Path, imap_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "mail", "fetch"],
        cwd=ROOT,
        env=env(database_url, data_dir, imap_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(label: str, database_url: str, data_dir: Path, imap, total: int) -> bool:
    rng = random.Random(14)
    numbers = asyncio.run(prepare(database_url, data_dir))
    imap.clear()
    imap.append(*messages(total, numbers, rng, "one"))
    started, cpu_before = time.perf_counter(), _children_cpu()
    one = fetch(database_url, data_dir, imap.url)
    out, err = one.communicate()
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    if one.returncode:
        raise SystemExit(f"portal mail fetch failed: {err[-2000:]}")
    rate = total / elapsed
    first = asyncio.run(counts(database_url))
    left = imap.count()
    print(
        f"{label}: {total} messages in {elapsed:.1f} s = {rate:.0f} messages/s, fetch CPU {cpu * 1000 / total:.1f} ms"
        f" per message ({out.strip()}); left in mailbox {left}"
    )

    second_batch = 400
    imap.append(*messages(second_batch, numbers, rng, "two"))
    started = time.perf_counter()
    pollers = [fetch(database_url, data_dir, imap.url) for _ in range(2)]
    outputs = [p.communicate()[0].strip() for p in pollers]
    elapsed = time.perf_counter() - started
    after = asyncio.run(counts(database_url))
    made = (after["tickets"] - first["tickets"]) + (after["replies"] - first["replies"])
    exact = after["tickets"] == after["distinct"] and made == second_batch and after["inbound"] == total + second_batch
    print(
        f"{label}: two pollers, {second_batch} messages in {elapsed:.1f} s: {outputs[0]} | {outputs[1]}; "
        f"tickets+replies made {made}, duplicates {after['tickets'] - after['distinct']}, "
        f"left in mailbox {imap.count()} -> {'exactly once' if exact else 'NOT exactly once'}"
    )
    return rate >= 50 and exact


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("PORTAL_TEST_DATABASE_URL", ""))
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-inbound-") as tmp:
        root = Path(tmp)
        os.chmod(root, 0o711)
        (root / "imap").mkdir()
        imap, stop = start(root / "imap")
        ok = True
        try:
            ok &= run("SQLite", f"sqlite:///{root / 'sqlite' / 'portal.sqlite3'}", root / "sqlite", imap, args.messages)
            if args.postgres:
                import asyncpg

                name = f"bench_inbound_{uuid.uuid4().hex[:8]}"
                base = args.postgres.rpartition("/")[0]

                async def admin(sql: str) -> None:
                    conn = await asyncpg.connect(args.postgres)
                    await conn.execute(sql)
                    await conn.close()

                asyncio.run(admin(f'CREATE DATABASE "{name}"'))
                try:
                    ok &= run("PostgreSQL", f"{base}/{name}", root / "pg", imap, args.messages)
                finally:
                    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            stop()
    print("target met" if ok else "TARGET MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
