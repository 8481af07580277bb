"""Who works on a ticket: the agents it may go to, and handing it to one of them with its event and mail."""

from __future__ import annotations

from datetime import UTC, datetime

from auth.tables import User
from portal.db import write_transaction
from portal.settings import Settings
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.filing import mail_assignment
from portal.tickets.row_lock import lock_current
from portal.tickets.tables import Event, Ticket
from portal.tickets.visibility import STAFF, is_staff


def _assignable():
    return (User.is_active == True) & User.role.is_in([role.value for role in STAFF])  # noqa: E712


async def assignable_agents() -> list[dict]:
    """Active agents, supervisors and admins, by name: the choice an assignment offers."""
    return await User.select(User.id, User.name, User.email).where(_assignable()).order_by(User.name)


async def agent_by_email(email: str) -> int:
    """The id of the active staff member with this email; TicketError("assignee_invalid") otherwise."""
    row = await User.select(User.id).where(_assignable() & (User.email == email.strip().lower())).first()
    if row is None:
        raise TicketError("assignee_invalid", "assignee")
    return row["id"]


async def assign(settings: Settings, actor: User, ticket: Ticket, agent_id: int) -> Ticket:
    """Give the ticket to an active staff member; the timeline records it for staff only."""
    if not is_staff(actor):
        raise NotAllowed()
    agent = await User.objects().where((User.id == agent_id) & _assignable()).first()
    if agent is None:
        raise TicketError("assignee_invalid", "assignee")
    async with write_transaction():
        # Decided on the row as it is now: of two agents taking it at once, the second sees the first.
        await lock_current(ticket)
        current = getattr(ticket.assignee, "id", ticket.assignee)
        if current == agent.id:
            return ticket
        ticket.assignee = agent.id
        ticket.updated_at = datetime.now(UTC)
        ticket.escalated_at = None  # someone acted on it
        await ticket.save([Ticket.assignee, Ticket.escalated_at, Ticket.updated_at])
        await Event(
            ticket=ticket.id, actor=actor.id, kind="assigned", old=str(current or ""), new=str(agent.id), public=False
        ).save()
        # Someone who takes a ticket themselves needs no mail saying so.
        if agent.id != actor.id:
            await mail_assignment(settings, ticket)
    return ticket


async def unassign(actor: User, ticket: Ticket) -> Ticket:
    """Give the ticket back to the queue; the timeline records it for staff only."""
    if not is_staff(actor):
        raise NotAllowed()
    async with write_transaction():
        await lock_current(ticket)
        current = getattr(ticket.assignee, "id", ticket.assignee)
        if current is None:
            return ticket
        ticket.assignee = None
        ticket.updated_at = datetime.now(UTC)
        await ticket.save([Ticket.assignee, Ticket.updated_at])
        await Event(ticket=ticket.id, actor=actor.id, kind="unassigned", old=str(current), public=False).save()
    return ticket
