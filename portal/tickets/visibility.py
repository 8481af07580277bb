"""Who sees which ticket: staff see all; a customer their own, and their organization's when it
shares them. Anything else is as absent as a ticket that does not exist."""

from __future__ import annotations

from piccolo.columns.combination import Where

from auth.tables import Organization, Role, User
from portal.tickets.errors import TicketNotFound
from portal.tickets.tables import NUMBER_BASE, Ticket

STAFF = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


def is_staff(user: User) -> bool:
    return Role(user.role) in STAFF


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
        raise TicketNotFound()
    return ticket
