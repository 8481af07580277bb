"""Merging a duplicate into the ticket that survives: the duplicate's description, messages and files
move to the survivor, the duplicate closes pointing at it, both timelines say so, both requesters are
told by mail. What the survivor's requester may not see of the duplicate moves as internal notes."""

from __future__ import annotations

from datetime import UTC, datetime

from auth.tables import User
from portal.db import write_transaction
from portal.settings import Settings
from portal.tickets import conversation, rendering, visibility
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.mail import mail, ticket_link
from portal.tickets.row_lock import lock_current
from portal.tickets.tables import Attachment, Event, Message, Ticket
from portal.tickets.workflow import Status


def _id(value) -> int:
    return getattr(value, "id", value)


async def _check(duplicate: Ticket, survivor: Ticket) -> None:
    if survivor.id == duplicate.id:
        raise TicketError("merge_into_itself", "into")
    if survivor.status == Status.CLOSED or survivor.merged_into:
        raise TicketError("merge_into_closed", "into")
    if duplicate.status == Status.CLOSED:
        raise TicketError("merge_closed", "into")
    # A ticket others were merged into stays their survivor: merging it on would make a chain.
    if await Ticket.exists().where(Ticket.merged_into == duplicate.id):
        raise TicketError("merge_chain", "into")


async def survivor_of(ticket: Ticket, viewer: User) -> tuple[int | None, bool]:
    """The number of the ticket this one was merged into (None if it was not), and whether the viewer
    may follow the pointer there."""
    if not ticket.merged_into:
        return None, False
    return visibility.number_of(ticket.merged_into), await visibility.may_see(viewer, ticket.merged_into)


async def merge(settings: Settings, actor: User, duplicate: Ticket, into: int) -> Ticket:
    """Merge the duplicate into ticket number `into`; returns the survivor. TicketNotFound when there
    is no such ticket, TicketError when the merge would go in a circle, into a closed ticket or on a chain."""
    if not visibility.is_staff(actor):
        raise NotAllowed()
    survivor = await visibility.get_for(actor, into)
    # A refusal on the copies stands (closed and merged are final); what passes is checked again below.
    await _check(duplicate, survivor)
    numbers = visibility.number_of(duplicate.id), visibility.number_of(survivor.id)
    # A ticket's subject and description never change once filed: rendered before the transaction,
    # which on SQLite holds the write lock.
    body = f"**#{numbers[0]}: {duplicate.subject}**\n\n{duplicate.description}"
    html = await rendering.rendered(body)
    now = datetime.now(UTC)
    async with write_transaction():
        # The lower id locked first: two merges crossing (A into B, B into A) queue instead of deadlocking.
        for ticket in sorted((duplicate, survivor), key=lambda t: t.id):
            await lock_current(ticket)
        await _check(duplicate, survivor)  # merged, closed or made a survivor meanwhile
        requester, owner = duplicate.requester, survivor.requester
        # The survivor's requester reads the duplicate's conversation only if they may see the duplicate.
        shared = await visibility.may_see(owner, duplicate.id)
        # The duplicate's requester is sent to the survivor only if they may see it.
        into_link = ticket_link(settings, survivor.id) if await visibility.may_see(requester, survivor.id) else ""
        description = Message(
            ticket=survivor.id,
            author=_id(requester),
            body=body,
            body_html=html,
            internal=not shared,
            created_at=duplicate.created_at,
        )
        await description.save()
        await Attachment.update({Attachment.message: description.id}).where(
            (Attachment.ticket == duplicate.id) & Attachment.message.is_null()
        )
        if not shared:
            await Message.update({Message.internal: True}).where(Message.ticket == duplicate.id)
        await Attachment.update({Attachment.ticket: survivor.id}).where(Attachment.ticket == duplicate.id)
        await Message.update({Message.ticket: survivor.id}).where(Message.ticket == duplicate.id)
        duplicate.merged_into = survivor.id
        await duplicate.save([Ticket.merged_into])
        await conversation.change_status(settings, actor, duplicate, Status.CLOSED.value)
        await Event(ticket=duplicate.id, actor=actor.id, kind="merged_into", new=str(numbers[1])).save()
        await Event(ticket=survivor.id, actor=actor.id, kind="merged_from", new=str(numbers[0]), public=shared).save()
        survivor.updated_at = now
        await survivor.save([Ticket.updated_at])
        await mail(settings, requester, "ticket_merged", duplicate, into=numbers[1], into_link=into_link)
        if _id(owner) != _id(requester):
            await mail(settings, owner, "ticket_merged_into", survivor, duplicate=numbers[0])
    return survivor
