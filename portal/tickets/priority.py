"""Staff change a ticket's priority, and its deadlines follow: the targets of the new priority counted
from when the ticket was opened, keeping the time it already spent waiting for the customer (a change
of type moves them the same way)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from auth.tables import User
from portal.db import write_transaction
from portal.settings import Settings
from portal.sla.levels import deadlines
from portal.sla.policy import RANK, Deadlines
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.filing import plan_of
from portal.tickets.row_lock import lock_current
from portal.tickets.tables import Event, Ticket
from portal.tickets.visibility import is_staff
from portal.tickets.workflow import Status

FINISHED = {Status.RESOLVED.value, Status.CLOSED.value}


# What moving the deadlines writes.
DEADLINES = (
    Ticket.first_response_due,
    Ticket.resolution_due,
    Ticket.first_response_warn_at,
    Ticket.resolution_warn_at,
    Ticket.escalate_at,
)


async def change_priority(settings: Settings, actor: User, ticket: Ticket, priority: str) -> Ticket:
    if not is_staff(actor):
        raise NotAllowed()
    if priority not in RANK:
        raise TicketError("priority_invalid", "priority")
    # Read before the transaction when the request's copy has another priority; checked again inside.
    read = await targets_for(settings, ticket, priority, ticket.type) if priority != ticket.priority else None
    async with write_transaction():
        await lock_current(ticket)
        old = ticket.priority
        if priority == old:
            return ticket
        move_deadlines(ticket, await targets_for(settings, ticket, priority, ticket.type, read))
        ticket.priority, ticket.updated_at = priority, datetime.now(UTC)
        await ticket.save([Ticket.priority, *DEADLINES, Ticket.updated_at])
        await Event(ticket=ticket.id, actor=actor.id, kind="priority", old=old, new=priority).save()
    return ticket


@dataclass(frozen=True, slots=True)
class Targets:
    """The deadlines of the ticket's priority and type (`before`) and of the ones it changes to (`after`)."""

    pairs: tuple[str, str, str, str]  # the priority and type before, then after
    before: Deadlines
    after: Deadlines


async def targets_for(
    settings: Settings, ticket: Ticket, priority: str, ticket_type: str, read: Targets | None = None
) -> Targets:
    """The targets a change of the ticket to this priority and type moves its deadlines between. Read
    before the caller's transaction, which on SQLite holds the write lock, from the ticket as the request
    read it; inside, after lock_current, pass them as `read`: they are kept unless another change
    meanwhile gave the ticket another priority or type."""
    pairs = (ticket.priority, ticket.type, priority, ticket_type)
    if read is not None and read.pairs == pairs:
        return read
    requester = await User.objects().where(User.id == getattr(ticket.requester, "id", ticket.requester)).first()
    plan, time_zone, org = await plan_of(requester)
    holidays, percent, org_id = settings.holidays, settings.sla_warn_percent, org.id if org else None
    opened = ticket.created_at
    before = await deadlines(plan, ticket.priority, ticket.type, opened, time_zone, holidays, percent, org_id)
    after = await deadlines(plan, priority, ticket_type, opened, time_zone, holidays, percent, org_id)
    return Targets(pairs, before, after)


def move_deadlines(ticket: Ticket, targets: Targets) -> None:
    """Set the ticket's deadlines (in memory; the caller saves DEADLINES) to the targets it changes to."""
    if ticket.first_responded_at is None:
        ticket.first_response_due = targets.after.first_response
        ticket.first_response_warn_at = targets.after.first_response_warning
    if ticket.status not in FINISHED:
        _move_resolution(ticket, targets.before, targets.after)
    ticket.escalate_at = datetime.now(UTC)  # the escalation pass looks at the new deadlines


def _move_resolution(ticket: Ticket, before: Deadlines, after: Deadlines) -> None:
    if after.resolution is None:  # a type without a resolution target
        ticket.resolution_due = ticket.resolution_warn_at = None
    elif ticket.resolution_due and before.resolution:
        # Pauses pushed the old deadline past its target by working time: the new one keeps that.
        waited = before.calendar.between(before.resolution, ticket.resolution_due)
        ticket.resolution_due = after.calendar.add(after.resolution, waited)
        ticket.resolution_warn_at = after.calendar.add(after.resolution_warning, waited)
    else:  # from a type that had none
        ticket.resolution_due, ticket.resolution_warn_at = after.resolution, after.resolution_warning
