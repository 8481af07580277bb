"""Polling an IMAP mailbox (PORTAL_IMAP_URL): every message through intake, then flagged \\Deleted and
expunged, only once its outcome is committed; a message that fails stays for the next pass."""

from __future__ import annotations

import asyncio
import imaplib
import logging
import re
import ssl
import time
from collections import Counter
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from portal.channels import intake
from portal.settings import Settings

log = logging.getLogger("portal.inbound")
BATCH = 25  # messages fetched in one command
BATCH_BYTES = 4 * 1024 * 1024  # larger messages are fetched one by one
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FROM = re.compile(rb"^From:(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_SUBJECT = re.compile(rb"^Subject:(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_NUMBER = re.compile(rb"\[#(\d{1,9})\]")
AT_ONCE = 4  # messages in flight: the database's round trips overlap the parsing of others


class MailboxError(RuntimeError):
    """The mailbox could not be reached or read."""


def _connect(url: str, attempts: int = 3) -> imaplib.IMAP4:
    """Logged in with the mailbox selected; a server's "[UNAVAILABLE]" (its auth process busy) is tried again."""
    for attempt in range(attempts):
        try:
            return _open(url)
        except MailboxError as exc:
            if "UNAVAILABLE" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _open(url: str) -> imaplib.IMAP4:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    try:
        if parts.scheme == "imaps":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                host, parts.port or 993, ssl_context=ssl.create_default_context(), timeout=30
            )
        else:
            conn = imaplib.IMAP4(host, parts.port or 143, timeout=30)
        conn.login(unquote(parts.username or ""), unquote(parts.password or ""))
        status, _ = conn.select(_quoted(unquote(parts.path.lstrip("/")) or "INBOX"))
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"cannot open the mailbox at {host}: {exc}") from exc
    if status != "OK":
        raise MailboxError(f"cannot select the mailbox {parts.path!r}")
    return conn


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uids_and_sizes(conn: imaplib.IMAP4) -> list[tuple[bytes, int]]:
    status, data = conn.uid("SEARCH", None, "UNDELETED")  # type: ignore[arg-type]
    uids = data[0].split() if status == "OK" and data and data[0] else []
    found: list[tuple[bytes, int]] = []
    for start in range(0, len(uids), 500):
        status, data = conn.uid("FETCH", b",".join(uids[start : start + 500]).decode(), "(RFC822.SIZE)")
        for line in data or ():
            meta = line[0] if isinstance(line, tuple) else line
            uid, size = _UID.search(meta or b""), _SIZE.search(meta or b"")
            if uid and size:
                found.append((uid.group(1), int(size.group(1))))
    return found


def _bodies(conn: imaplib.IMAP4, uids: list[bytes], headers_only: bool = False) -> dict[bytes, bytes]:
    what = "(BODY.PEEK[HEADER])" if headers_only else "(BODY.PEEK[])"
    _status, data = conn.uid("FETCH", b",".join(uids).decode(), what)
    found = {}
    for item in data or ():
        if isinstance(item, tuple) and (uid := _UID.search(item[0])):
            found[uid.group(1)] = item[1]
    return found


def _batches(messages: list[tuple[bytes, int]], settings: Settings) -> list[tuple[list[bytes], bool]]:
    """UIDs to fetch together; a message over the inbound limit is fetched for its headers alone."""
    batches: list[tuple[list[bytes], bool]] = []
    small: list[bytes] = []
    for uid, size in messages:
        if size > settings.inbound_max_bytes:
            batches.append(([uid], True))
        elif size > BATCH_BYTES:
            batches.append(([uid], False))
        else:
            small.append(uid)
            if len(small) == BATCH:
                batches.append((small, False))
                small = []
    if small:
        batches.append((small, False))
    return batches


async def fetch(settings: Settings, url: str = "") -> Counter[str]:
    """One pass over the mailbox; returns how many messages ended how. The next batch is fetched
    while this one is processed, and AT_ONCE queues of messages are processed side by side (one
    ticket's or one sender's messages in mailbox order: see _order_key)."""
    url = url or settings.imap_url
    conn = await asyncio.to_thread(_connect, url)
    counts: Counter[str] = Counter()
    ahead: asyncio.Future | None = None
    try:
        messages = await asyncio.to_thread(_uids_and_sizes, conn)
        sizes = dict(messages)
        batches = _batches(messages, settings)
        ahead = asyncio.ensure_future(_fetched(conn, batches[0])) if batches else None
        for n in range(len(batches)):
            bodies = await ahead  # type: ignore[misc]
            # imaplib is one conversation: the prefetch and the removal below take turns on it.
            ahead = asyncio.ensure_future(_fetched(conn, batches[n + 1])) if n + 1 < len(batches) else None
            settled = await _process(settings, batches[n][0], bodies, sizes, counts)
            if ahead is not None:
                await asyncio.wait([ahead])
            if settled:
                await asyncio.to_thread(_remove, conn, settled)
    finally:
        if ahead is not None and not ahead.done():
            await asyncio.wait([ahead])  # the connection is free again before it is closed
        await asyncio.to_thread(_close, conn)
    return counts


async def _fetched(conn: imaplib.IMAP4, batch: tuple[list[bytes], bool]) -> dict[bytes, bytes]:
    return await asyncio.to_thread(_bodies, conn, *batch)


async def _process(
    settings: Settings, uids: list[bytes], bodies: dict[bytes, bytes], sizes: dict[bytes, int], counts: Counter[str]
) -> list[bytes]:
    """The batch's messages through intake, AT_ONCE queues at a time; returns the UIDs settled."""
    in_order: dict[str, list[bytes]] = {}
    for uid in uids:
        if uid in bodies:  # else another poller expunged it meanwhile
            in_order.setdefault(_order_key(bodies[uid]), []).append(uid)
    settled: list[bytes] = []
    gate = asyncio.Semaphore(AT_ONCE)

    async def one_queue(queue: list[bytes]) -> None:
        async with gate:
            for uid in queue:
                try:
                    outcome = await intake.receive(settings, bodies[uid], size=sizes[uid])
                except Exception:
                    # The database failed (or a bug): the message stays and the next one is tried.
                    log.exception("inbound message %s not processed; it stays in the mailbox", uid.decode())
                    counts["failed"] += 1
                    continue
                counts[outcome.status] += 1
                settled.append(uid)

    await asyncio.gather(*(one_queue(queue) for queue in in_order.values()))
    return settled


def _order_key(raw: bytes) -> str:
    """Messages with one key are taken in mailbox order: those on one ticket ([#N] in the subject),
    else those of one sender (a follow-up never overtakes its first message)."""
    head = re.split(rb"\r?\n\r?\n", raw[:65536], maxsplit=1)[0]
    if (subject := _SUBJECT.search(head)) and (number := _NUMBER.search(subject.group(1))):
        return "#" + number.group(1).decode()
    found = _FROM.search(head)
    return parseaddr(" ".join(found.group(1).decode("latin-1").split()))[1].lower() if found else ""


def _remove(conn: imaplib.IMAP4, uids: list[bytes]) -> None:
    conn.uid("STORE", b",".join(uids).decode(), "+FLAGS.SILENT", r"(\Deleted)")
    conn.expunge()


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.close()
        conn.logout()
    except (OSError, imaplib.IMAP4.error):
        pass
