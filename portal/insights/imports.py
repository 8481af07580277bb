"""Loading resolved support requests from a JSON-lines file, so the grouping can be measured and tried
on real history: one ticket per line, its `id` kept as the ticket's external reference."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from auth import users
from auth.tables import Role
from portal.db import write_transaction
from portal.tickets.tables import Event, Message, Ticket
from portal.tickets.types import active_types
from portal.tickets.workflow import Status

BATCH = 500
SUBJECT_MAX = 200
REF_MAX = 120
REQUESTER_NAME = "Imported requests"


class TicketFileError(ValueError):
    """A line of the file cannot be a ticket; the message names the line."""


@dataclass(frozen=True, slots=True)
class Row:
    ref: str
    text: str
    response: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    skipped: int  # already imported: the same external reference is never loaded twice


def subject_of(text: str) -> str:
    """The first line, cut at a word boundary: what a person would have typed as the subject."""
    first = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    if len(first) <= SUBJECT_MAX:
        return first
    cut = first[: SUBJECT_MAX - 1].rsplit(" ", 1)[0]
    return cut + "…"


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of the file; label fields (intent, category…) are ignored."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TicketFileError(f"line {number}: not JSON ({exc.msg})") from None
            if not isinstance(item, dict):
                raise TicketFileError(f"line {number}: not a JSON object")
            ref, text = str(item.get("id") or "").strip(), str(item.get("text") or "").strip()
            if not ref or not text:
                raise TicketFileError(f"line {number}: `id` and `text` are required")
            if len(ref) > REF_MAX:
                raise TicketFileError(f"line {number}: `id` is longer than {REF_MAX} characters")
            yield Row(ref=ref, text=text, response=str(item.get("response") or "").strip())


async def _requester(email: str, locale: str) -> int:
    user = await users.find_by_email(email)
    if user is None:
        async with write_transaction():
            user = await users.create_user(email, REQUESTER_NAME, role=Role.CUSTOMER, locale=locale)
    return user.id


async def _known_refs(refs: list[str]) -> set[str]:
    rows = await Ticket.select(Ticket.external_ref).where(Ticket.external_ref.is_in(refs))
    return {row["external_ref"] for row in rows}


async def _insert(batch: list[Row], requester: int, ticket_type: str) -> None:
    now = datetime.now(UTC)
    async with write_transaction():
        tickets = [
            Ticket(
                requester=requester,
                type=ticket_type,
                # Closed, not resolved: history needs no auto-close mail, and takes no replies.
                status=Status.CLOSED.value,
                subject=subject_of(row.text),
                description=row.text,
                channel="email",
                external_ref=row.ref,
                resolved_at=now,
                closed_at=now,
                resolutions=1,
                seconds_new=0,  # closed as it was filed, as its events say
                status_since=now,
                created_at=now,
                updated_at=now,
            )
            for row in batch
        ]
        ids = [r["id"] for r in await Ticket.insert(*tickets).returning(Ticket.id)]
        events = [Event(ticket=i, actor=requester, kind="created", new=Status.NEW.value) for i in ids]
        events += [Event(ticket=i, kind="status", old=Status.NEW.value, new=Status.CLOSED.value) for i in ids]
        await Event.insert(*events)
        replies = [Message(ticket=i, body=row.response) for i, row in zip(ids, batch, strict=True) if row.response]
        if replies:
            await Message.insert(*replies)


async def import_tickets(
    path: Path, *, requester_email: str, locale: str = "en", progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Closed tickets of one requester, with the resolving reply as a public message. Reads the whole
    file first, so a bad line stops the import before anything is written."""
    rows = list(read_rows(path))
    types = await active_types()
    if not types:
        raise TicketFileError("no active ticket type to file the tickets under")
    requester = await _requester(requester_email, locale)
    created = skipped = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        known = await _known_refs([row.ref for row in batch])
        fresh = list({row.ref: row for row in batch if row.ref not in known}.values())
        if fresh:
            await _insert(fresh, requester, types[0]["slug"])
        created, skipped = created + len(fresh), skipped + len(batch) - len(fresh)
        if progress:
            progress(start + len(batch))
    return ImportResult(created=created, skipped=skipped)
