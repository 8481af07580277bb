"""Who sees which ticket and which of its parts: staff see all; a customer their own tickets, and their
organization's when it shares them, and of each only the public messages and events (never internal
notes). Anything else is as absent as a ticket that does not exist."""

from __future__ import annotations

from piccolo.columns.combination import Where

from auth.tables import Organization, Role, User
from portal import logs
from portal.tickets.errors import TicketNotFound
from portal.tickets.tables import NUMBER_BASE, Attachment, Event, Message, Ticket

STAFF = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


def is_staff(user: User) -> bool:
    return Role(user.role) in STAFF


# What a customer may read of a ticket: every other query of messages or events for customers adds these.
PUBLIC_MESSAGE = Message.internal == False  # noqa: E712
PUBLIC_EVENT = Event.public == True  # noqa: E712


def messages_seen_by(viewer: User | None, ticket_id: int) -> Where:
    """The ticket's messages the viewer may read: internal notes are for staff only. No viewer: what
    the customer sees (the customer's page shows staff that too)."""
    own = Message.ticket == ticket_id
    return own if viewer is not None and is_staff(viewer) else own & PUBLIC_MESSAGE


def files_seen_by(viewer: User | None, ticket_id: int) -> Where:
    """The ticket's files the viewer may fetch: a file belongs to the description (no message) or to a
    message, and internal notes' files stay with staff. No viewer: what the customer sees."""
    own = Attachment.ticket == ticket_id
    if viewer is not None and is_staff(viewer):
        return own
    return own & (Attachment.message.is_null() | (Attachment.message.internal == False))  # noqa: E712


def events_seen_by(viewer: User | None, ticket_id: int) -> Where:
    """The ticket's timeline events the viewer may read: staff-only events stay with staff. No viewer:
    what the customer sees."""
    own = Event.ticket == ticket_id
    return own if viewer is not None and is_staff(viewer) else own & PUBLIC_EVENT


async def shared_organization(user: User) -> int | None:
    if not user.organization:
        return None
    org = await Organization.select(Organization.shares_tickets).where(Organization.id == user.organization).first()
    return user.organization if org and org["shares_tickets"] else None


async def scope(user: User) -> Where | None:
    """The condition a customer's ticket queries carry (None for staff: everything)."""
    if is_staff(user):
        return None
    own = Ticket.requester == user.id
    organization = await shared_organization(user)
    return own | (Ticket.organization == organization) if organization else own


def id_of(number: int) -> int:
    return number - NUMBER_BASE


def number_of(ticket_id: int) -> int:
    return ticket_id + NUMBER_BASE


async def get_for(user: User, number: int) -> Ticket:
    query = Ticket.objects(Ticket.requester, Ticket.assignee).where(Ticket.id == id_of(number))
    condition = await scope(user)
    if condition is not None:
        query = query.where(condition)
    ticket = await query.first()
    if ticket is None:
        if condition is not None and await Ticket.exists().where(Ticket.id == id_of(number)):
            logs.security_event("ticket_access", "refused", user_id=user.id, ticket=number)
        raise TicketNotFound()
    return ticket
