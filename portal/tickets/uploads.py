"""Filing and replying with files: every file is checked before anything is written, and the
attachment rows are written in the same transaction as the ticket or message they belong to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auth.tables import User
from portal.db import write_transaction
from portal.settings import Settings
from portal.tickets import attachments, conversation
from portal.tickets.attachments import Incoming
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Attachment, Event, Message, Ticket


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the customer came from, kept for staff as internal timeline entries."""

    article: str = ""  # the knowledge-base article read just before ("Still need help?")
    related: int | None = None  # the number of an earlier ticket this one follows up


async def file_ticket(
    settings: Settings,
    requester: User,
    draft: NewTicket,
    files: Sequence[Incoming] = (),
    origin: Origin | None = None,
    *,
    by: User | None = None,
) -> Ticket:
    """open_ticket with files (by the requester, or by staff member `by` for them); the same form sent
    twice still makes one ticket with one set of files."""
    checked = await attachments.check_all(files, settings.attachment_max_bytes)
    # Stored before the commit, by content, so no row ever lacks its file; removed again if the write fails.
    await attachments.store_all(settings.data_dir, checked)
    try:
        async with write_transaction():
            ticket = await open_ticket(settings, requester, draft, by=by)
            if not await Attachment.exists().where((Attachment.ticket == ticket.id) & Attachment.message.is_null()):
                await attachments.record(ticket.id, None, (by or requester).id, checked)
                await _note_origin(ticket, origin or Origin())
    except Exception:
        # Two submissions of one form raced and the database let one in; this one rolled back whole.
        earlier = await _filed_with(requester, draft.idempotency_key)
        if earlier is None:
            await attachments.discard_unreferenced(settings.data_dir, checked)
            raise
        return earlier
    return ticket


async def _filed_with(requester: User, key: str) -> Ticket | None:
    if not key:
        return None
    return await Ticket.objects().where(Ticket.idempotency_key == f"{requester.id}:{key[:120]}").first()


async def _note_origin(ticket: Ticket, origin: Origin) -> None:
    if origin.article:
        await Event(ticket=ticket.id, kind="kb_article", new=origin.article[:100], public=False).save()
    if origin.related:
        await Event(ticket=ticket.id, kind="related", new=f"#{origin.related}", public=False).save()


async def reply(
    settings: Settings,
    author: User,
    ticket: Ticket,
    body: str,
    files: Sequence[Incoming] = (),
    *,
    internal: bool = False,
    then: str | None = conversation.AUTO,
) -> Message:
    """conversation.reply with files, in one transaction (an internal note's files stay with staff:
    visibility.files_seen_by)."""
    checked = await attachments.check_all(files, settings.attachment_max_bytes)
    await attachments.store_all(settings.data_dir, checked)
    try:
        async with write_transaction():
            message = await conversation.reply(settings, author, ticket, body, internal=internal, then=then)
            await attachments.record(ticket.id, message.id, author.id, checked)
    except Exception:
        await attachments.discard_unreferenced(settings.data_dir, checked)
        raise
    return message
