"""Delivering the outbox: claim due messages a batch at a time, send them, retry failures with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mailbox
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from portal import db
from portal.notify.message import Mail, build_message
from portal.notify.tables import OutboxMessage

log = logging.getLogger("portal.mail")

MAX_ATTEMPTS = 12
# A claimed message is invisible to other senders this long; if the claimer dies, it comes back.
CLAIM_LEASE = timedelta(minutes=5)
BATCH = 50
# A pass that claimed a full batch claims the next at once: a backlog leaves at the transport's pace,
# up to this many batches a pass (the other background work waits for the pass).
BATCHES_A_PASS = 10

Send = Callable[[Mail], Awaitable[None]]


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 1 hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


class Transport(Protocol):
    def session(self) -> AbstractAsyncContextManager[Send]:
        """How the mails of one pass are sent (one SMTP connection for all of them)."""
        ...


@dataclass(frozen=True, slots=True)
class SmtpTransport:
    url: str

    def _client(self) -> aiosmtplib.SMTP:
        parts = urlsplit(self.url)
        implicit_tls = parts.scheme == "smtps"
        return aiosmtplib.SMTP(
            hostname=parts.hostname or "localhost",
            port=parts.port or (465 if implicit_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit_tls,
            start_tls=None if not implicit_tls else False,
            timeout=30,
        )

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Send]:
        connection = _Connection(self._client)
        try:
            yield connection.send
        finally:
            await connection.close()


class _Connection:
    """One SMTP connection for the mails of a pass (a connection and its greeting cost more than a
    mail), opened at the first mail and again after a failure."""

    def __init__(self, new: Callable[[], aiosmtplib.SMTP]) -> None:
        self._new = new
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, mail: Mail) -> None:
        reused = self._client is not None
        try:
            if self._client is None:
                self._client = self._new()
                await self._client.connect()
            await self._client.sendmail(mail.sender, [mail.recipient], mail.data)
        except Exception:
            self._drop()
            if not reused:
                raise
            # A server may close a connection kept open (idle too long, enough messages on it): once
            # more on a new one, whose failure is the mail's.
            await self.send(mail)

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # the mails are sent: a lost goodbye changes nothing
                await self._client.quit()
            self._drop()


@dataclass(frozen=True, slots=True)
class MaildirTransport:
    path: Path

    async def __call__(self, mail: Mail) -> None:
        await asyncio.to_thread(self._deliver, mail.data)

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Send]:
        yield self

    def _deliver(self, message: bytes) -> None:
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


class Claimed(NamedTuple):
    """A message this sender holds the lease of: what building and sending it needs."""

    id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str
    attempts: int
    created_at: datetime
    message_id: str
    thread_root: str


_COLUMNS = "id, to_address, subject, body_text, body_html, attempts, created_at, message_id, thread_root"
_DUE = "outbox_message.status = 'pending' AND outbox_message.next_attempt_at <= {}"
# One statement: the due rows' ids, and the lease on each of them, returned with what sending needs.
# The outer condition is the lock: of two senders, only one changes a row. On PostgreSQL a second
# sender skips the rows the first one's statement holds instead of waiting for them; the ids are
# materialised, since a subquery that skips locked rows may return others each time it is run.
_CLAIM = (
    f"WITH due AS MATERIALIZED (SELECT id FROM outbox_message WHERE {_DUE} ORDER BY id LIMIT {{}}{{skip}}) "  # noqa: S608
    f"UPDATE outbox_message SET next_attempt_at = {{}} FROM due WHERE outbox_message.id = due.id AND {_DUE} "
    "RETURNING " + ", ".join(f"outbox_message.{column}" for column in _COLUMNS.split(", "))
)
_SENT = "UPDATE outbox_message SET attempts = {}, status = 'sent', sent_at = {}, last_error = '' WHERE id = {}"
_FAILED = "UPDATE outbox_message SET attempts = {}, status = {}, next_attempt_at = {}, last_error = {} WHERE id = {}"


async def _claim(now: datetime, limit: int = BATCH) -> list[Claimed]:
    postgres = OutboxMessage._meta.db.engine_type == "postgres"
    statement = _CLAIM.replace("{skip}", " FOR UPDATE SKIP LOCKED" if postgres else "")
    rows = await OutboxMessage.raw(statement, now, limit, now + CLAIM_LEASE, now)
    claimed = [Claimed(**{**row, "created_at": db.aware(row["created_at"])}) for row in rows]
    return sorted(claimed, key=lambda row: row.id)  # RETURNING follows no order


async def _send(send: Send, sender: str, row: Claimed, now: datetime) -> bool:
    """One attempt; the outcome is written at once, so a crash resends at most the mail in flight."""
    attempts = row.attempts + 1
    try:
        await send(build_message(row, sender))
    except Exception as exc:  # any failure of the far side is retried, never lost
        give_up = attempts >= MAX_ATTEMPTS
        log.warning("mail %s to %s failed (attempt %s): %s", row.id, row.to_address, attempts, exc)
        status = "failed" if give_up else "pending"
        await OutboxMessage.raw(_FAILED, attempts, status, now + backoff(attempts), str(exc)[:2000], row.id)
        return False
    await OutboxMessage.raw(_SENT, attempts, datetime.now(UTC), row.id)
    return True


async def deliver_due(transport: Transport, sender: str, now: datetime | None = None) -> tuple[int, int]:
    """Send every due message once, a batch after another while batches come full; returns (sent, failed)."""
    sent = failed = 0
    async with transport.session() as send:
        for _batch in range(BATCHES_A_PASS):
            at = now or datetime.now(UTC)
            claimed = await _claim(at)
            for row in claimed:  # each send and each write awaits: the event loop serves requests meanwhile
                if await _send(send, sender, row, at):
                    sent += 1
                else:
                    failed += 1
            if len(claimed) < BATCH:
                break
    return sent, failed
