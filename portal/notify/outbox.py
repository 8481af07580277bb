"""Queueing an email: rendered now, stored in the caller's transaction, delivered by the sender."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

from markupsafe import escape

from portal.db.inserts import insert
from portal.notify.render import one_line, render
from portal.notify.tables import OutboxMessage

# Stands in for the recipient's name while one rendering serves several recipients: a private-use
# character no template, escaping or subject folding changes.
_NAME = "\ue000name\ue000"
_ROWS_PER_INSERT = 500  # 9 values a row: well under SQLite's and PostgreSQL's limits on parameters


class InvalidRecipient(ValueError):
    """An address that would break the message headers."""


def prepare(
    to_address: str, template: str, locale: str, *, message_id: str = "", thread_root: str = "", **context: object
) -> OutboxMessage:
    """The rendered, not yet saved email (enqueue_many stores many in one statement).
    `message_id` and `thread_root` (both `<…@…>`) let mail clients group a conversation."""
    if one_line(to_address) != to_address or "@" not in to_address:
        raise InvalidRecipient(to_address)
    email = render(template, locale, **context)
    return OutboxMessage(
        to_address=to_address,
        subject=email.subject[:300],
        body_text=email.text,
        body_html=email.html,
        message_id=one_line(message_id),
        thread_root=one_line(thread_root),
    )


async def enqueue(
    to_address: str, template: str, locale: str, *, message_id: str = "", thread_root: str = "", **context: object
) -> OutboxMessage:
    """Queue one email; call it inside the transaction that records the event it reports."""
    message = prepare(to_address, template, locale, message_id=message_id, thread_root=thread_root, **context)
    await insert(message)
    return message


class Outgoing(NamedTuple):
    """A rendered email, lighter than an OutboxMessage when a pass queues hundreds."""

    to_address: str
    subject: str
    body_text: str
    body_html: str


class _Mail(Protocol):
    to_address: str
    subject: str
    body_text: str
    body_html: str


def prepare_each(people: Iterable[tuple[str, str]], template: str, locale: str, **context: object) -> list[Outgoing]:
    """The same email to each (address, name), rendered once: the template's `name` is all that differs.
    Addresses that would break the headers are left out."""
    people = [(address, name) for address, name in people if one_line(address) == address and "@" in address]
    if not people:
        return []
    email = render(template, locale, **context, name=_NAME)
    subject = email.subject[:300]
    return [
        Outgoing(
            address,
            subject.replace(_NAME, one_line(name)),
            email.text.replace(_NAME, name),
            email.html.replace(_NAME, str(escape(name))),
        )
        for address, name in people
    ]


async def enqueue_many(messages: Sequence[_Mail], now: datetime | None = None) -> None:
    """Queue prepared emails in a few multi-row statements, inside the caller's transaction (building
    the statement from table objects cost more than rendering the mails)."""
    now = now or datetime.now(UTC)
    for start in range(0, len(messages), _ROWS_PER_INSERT):
        chunk = messages[start : start + _ROWS_PER_INSERT]
        args: list[object] = []
        for m in chunk:
            args += [m.to_address, m.subject[:300], m.body_text, m.body_html, now, now]
        values = ", ".join("({}, {}, {}, {}, 'pending', 0, {}, '', {})" for _ in chunk)
        # Only placeholders are formatted in; the values travel as arguments.
        await OutboxMessage.raw(
            "INSERT INTO outbox_message (to_address, subject, body_text, body_html, status, attempts, "  # noqa: S608
            f"next_attempt_at, last_error, created_at) VALUES {values}",
            *args,
        )
