"""Staff change a ticket's priority, and its deadlines follow: the targets of the new priority counted
from when the ticket was opened, keeping the time it already spent waiting for the customer."""

from __future__ import annotations

from datetime import UTC, datetime

from auth.tables import User
from portal.db import write_transaction
from portal.settings import Settings
from portal.sla.levels import deadlines
from portal.sla.policy import RANK
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.filing import plan_of
from portal.tickets.tables import Event, Ticket
from portal.tickets.visibility import is_staff
from portal.tickets.workflow import Status

FINISHED = {Status.RESOLVED.value, Status.CLOSED.value}


async def change_priority(settings: Settings, actor: User, ticket: Ticket, priority: str) -> Ticket:
    if not is_staff(actor):
        raise NotAllowed()
    if priority not in RANK:
        raise TicketError("priority_invalid", "priority")
    if priority == ticket.priority:
        return ticket
    requester = await User.objects().where(User.id == getattr(ticket.requester, "id", ticket.requester)).first()
    plan, time_zone, org = await plan_of(requester)
    holidays, percent, org_id = settings.holidays, settings.sla_warn_percent, org.id if org else None
    opened = ticket.created_at
    before = await deadlines(plan, ticket.priority, ticket.type, opened, time_zone, holidays, percent, org_id)
    after = await deadlines(plan, priority, ticket.type, opened, time_zone, holidays, percent, org_id)
    async with write_transaction():
        if ticket.first_responded_at is None:
            ticket.first_response_due = after.first_response
            ticket.first_response_warn_at = after.first_response_warning
        if ticket.status not in FINISHED and ticket.resolution_due and before.resolution and after.resolution:
            # Pauses pushed the old deadline past its target by working time: the new one keeps that.
            waited = before.calendar.between(before.resolution, ticket.resolution_due)
            ticket.resolution_due = after.calendar.add(after.resolution, waited)
            ticket.resolution_warn_at = after.calendar.add(after.resolution_warning, waited)
        old, ticket.priority, ticket.updated_at = ticket.priority, priority, datetime.now(UTC)
        ticket.escalate_at = ticket.updated_at  # the escalation pass looks at the new deadlines
        await ticket.save(
            [
                Ticket.priority,
                Ticket.first_response_due,
                Ticket.resolution_due,
                Ticket.first_response_warn_at,
                Ticket.resolution_warn_at,
                Ticket.escalate_at,
                Ticket.updated_at,
            ]
        )
        await Event(ticket=ticket.id, actor=actor.id, kind="priority", old=old, new=priority).save()
    return ticket
