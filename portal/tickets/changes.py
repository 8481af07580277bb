"""Staff change a ticket's type, and several of its facts at once (status, assignee, priority, type):
all checked before any is written, then each through the service that owns it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from auth.tables import User
from portal.db import write_transaction
from portal.settings import Settings
from portal.sla.policy import RANK
from portal.tickets import assignment, conversation, priority, types
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.tables import Event, Ticket
from portal.tickets.visibility import is_staff
from portal.tickets.workflow import InvalidTransition, check

KEEP = object()  # a fact the change leaves as it is (None is a value: "back to the queue")


async def change_type(settings: Settings, actor: User, ticket: Ticket, slug: str) -> Ticket:
    """Give the ticket another active type, whose targets its deadlines then follow; the timeline
    records it for staff. The answers to the old type's fields stay as they were given."""
    if not is_staff(actor):
        raise NotAllowed()
    slug = await types.check_type(slug)
    if slug == ticket.type:
        return ticket
    move = await priority.deadlines_moved(settings, ticket, ticket.priority, slug)
    async with write_transaction():
        move()
        old, ticket.type, ticket.updated_at = ticket.type, slug, datetime.now(UTC)
        await ticket.save([Ticket.type, *priority.DEADLINES, Ticket.updated_at])
        await Event(ticket=ticket.id, actor=actor.id, kind="type", old=old, new=slug, public=False).save()
    return ticket


@dataclass(frozen=True, slots=True)
class Changes:
    status: object = KEEP  # a status
    assignee: object = KEEP  # a staff member's email, or None for the queue
    priority: object = KEEP
    type: object = KEEP


async def apply(settings: Settings, actor: User, ticket: Ticket, changes: Changes) -> Ticket:
    """Make the changes; a refused one (TicketError with its field) leaves the ticket untouched."""
    if not is_staff(actor):
        raise NotAllowed()
    status = _status(ticket, changes.status)
    agent = None
    if isinstance(changes.assignee, str):
        agent = await assignment.agent_by_email(changes.assignee)
    elif changes.assignee is not KEEP and changes.assignee is not None:
        raise TicketError("assignee_invalid", "assignee")
    if changes.priority is not KEEP and changes.priority not in RANK:
        raise TicketError("priority_invalid", "priority")
    if changes.type is not KEEP:
        await types.check_type(changes.type if isinstance(changes.type, str) else "")
    if changes.type is not KEEP:
        await change_type(settings, actor, ticket, changes.type)
    if changes.priority is not KEEP:
        await priority.change_priority(settings, actor, ticket, changes.priority)
    if agent is not None:
        await assignment.assign(settings, actor, ticket, agent)
    elif changes.assignee is None:
        await assignment.unassign(actor, ticket)
    if status is not None:
        await conversation.change_status(settings, actor, ticket, status)
    return ticket


def _status(ticket: Ticket, target: object) -> str | None:
    """The status to move to, checked against the workflow; None when it stays."""
    if target is KEEP or target == ticket.status:
        return None
    try:
        return check(ticket.status, target if isinstance(target, str) else "").value
    except (InvalidTransition, ValueError):
        raise TicketError("ticket_transition_invalid", "status") from None
