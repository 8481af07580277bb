"""Queueing an email: rendered now, stored in the caller's transaction, delivered by the sender."""

from __future__ import annotations

from portal.notify.render import one_line, render
from portal.notify.tables import OutboxMessage


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
    await message.save()
    return message


async def enqueue_many(messages: list[OutboxMessage]) -> None:
    """Queue prepared emails in one statement, inside the caller's transaction."""
    if messages:
        await OutboxMessage.insert(*messages)
