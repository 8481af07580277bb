"""Delivering the outbox: claim due messages, send them, retry failures with backoff."""

from __future__ import annotations

import asyncio
import logging
import mailbox
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib

from portal.notify.tables import OutboxMessage

log = logging.getLogger("portal.mail")

MAX_ATTEMPTS = 12
# A claimed message is invisible to other senders this long; if the claimer dies, it comes back.
CLAIM_LEASE = timedelta(minutes=5)
BATCH = 50

Transport = Callable[[EmailMessage], Awaitable[None]]


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 1 hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def build_message(row: OutboxMessage, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    # The same id on every attempt: a retry after a lost answer is recognised as the same message.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "portal"
    message["Message-ID"] = row.message_id or f"<outbox-{row.id}@{domain}>"
    if row.thread_root:
        message["In-Reply-To"] = row.thread_root
        message["References"] = row.thread_root
    # Vacation responders and other robots answer none of our mail: no loops.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


@dataclass(frozen=True, slots=True)
class SmtpTransport:
    url: str

    async def __call__(self, message: EmailMessage) -> None:
        parts = urlsplit(self.url)
        implicit_tls = parts.scheme == "smtps"
        await aiosmtplib.send(
            message,
            hostname=parts.hostname or "localhost",
            port=parts.port or (465 if implicit_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit_tls,
            start_tls=None if not implicit_tls else False,
            timeout=30,
        )


@dataclass(frozen=True, slots=True)
class MaildirTransport:
    path: Path

    async def __call__(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._deliver, message)

    def _deliver(self, message: EmailMessage) -> None:
        # Maildir(create=True) fails when another sender creates the folders at the same moment.
        for folder in ("tmp", "new", "cur"):
            (self.path / folder).mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(self.path, create=False).add(message)


def transport_for(smtp_url: str, maildir: Path) -> Transport:
    if smtp_url:
        if urlsplit(smtp_url).scheme not in {"smtp", "smtps"}:
            raise ValueError("PORTAL_SMTP_URL must start with smtp:// or smtps://")
        return SmtpTransport(smtp_url)
    return MaildirTransport(maildir)


async def _claim(now: datetime) -> list[OutboxMessage]:
    due = (
        await OutboxMessage.select(OutboxMessage.id)
        .where((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id)
        .limit(BATCH)
    )
    claimed = []
    for row in due:
        # The conditional update is the lock: of two senders, only one changes the row.
        won = (
            await OutboxMessage.update({OutboxMessage.next_attempt_at: now + CLAIM_LEASE})
            .where(
                (OutboxMessage.id == row["id"])
                & (OutboxMessage.status == "pending")
                & (OutboxMessage.next_attempt_at <= now)
            )
            .returning(OutboxMessage.id)
        )
        if won:
            claimed.append(await OutboxMessage.objects().where(OutboxMessage.id == row["id"]).first())
    return claimed


async def deliver_due(transport: Transport, sender: str, now: datetime | None = None) -> tuple[int, int]:
    """Send every due message once; returns (sent, failed) for this pass."""
    now = now or datetime.now(UTC)
    sent = failed = 0
    for row in await _claim(now):
        attempts = row.attempts + 1
        try:
            await transport(build_message(row, sender))
        except Exception as exc:  # any failure of the far side is retried, never lost
            failed += 1
            give_up = attempts >= MAX_ATTEMPTS
            log.warning("mail %s to %s failed (attempt %s): %s", row.id, row.to_address, attempts, exc)
            await OutboxMessage.update(
                {
                    OutboxMessage.attempts: attempts,
                    OutboxMessage.last_error: str(exc)[:2000],
                    OutboxMessage.status: "failed" if give_up else "pending",
                    OutboxMessage.next_attempt_at: now + backoff(attempts),
                }
            ).where(OutboxMessage.id == row.id)
            continue
        sent += 1
        await OutboxMessage.update(
            {
                OutboxMessage.attempts: attempts,
                OutboxMessage.status: "sent",
                OutboxMessage.sent_at: datetime.now(UTC),
                OutboxMessage.last_error: "",
            }
        ).where(OutboxMessage.id == row.id)
    return sent, failed
