"""Staff change what was filed (the type, the answers to its custom fields, the organization), and several
of a ticket's facts at once (status, assignee, priority, type): all checked before any is written, then
each through the service that owns it; each change a staff-only timeline event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from auth.tables import Organization, User
from portal.db import write_transaction
from portal.settings import Settings
from portal.sla.policy import RANK
from portal.tickets import assignment, conversation, priority, types
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.row_lock import lock_current
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
    read = await priority.targets_for(settings, ticket, ticket.priority, slug) if slug != ticket.type else None
    async with write_transaction():
        await lock_current(ticket)
        old = ticket.type
        if slug == old:
            return ticket
        priority.move_deadlines(ticket, await priority.targets_for(settings, ticket, ticket.priority, slug, read))
        ticket.type, ticket.updated_at = slug, datetime.now(UTC)
        await ticket.save([Ticket.type, *priority.DEADLINES, Ticket.updated_at])
        await Event(ticket=ticket.id, actor=actor.id, kind="type", old=old, new=slug, public=False).save()
    return ticket


async def change_fields(actor: User, ticket: Ticket, answers: dict[str, str]) -> Ticket:
    """New answers to the type's custom fields, checked as at filing (required ones stay required)."""
    if not is_staff(actor):
        raise NotAllowed()
    checked_for = ticket.type
    checked = await types.check_fields(checked_for, answers)
    async with write_transaction():
        await lock_current(ticket)
        if ticket.type != checked_for:  # the type changed meanwhile: its own fields decide
            checked = await types.check_fields(ticket.type, answers)
        before = ticket.custom_fields
        before = json.loads(before) if isinstance(before, str) else dict(before or {})
        changed = sorted(key for key in {*before, *checked} if before.get(key) != checked.get(key))
        if not changed:
            return ticket
        ticket.custom_fields, ticket.updated_at = json.dumps(checked), datetime.now(UTC)
        await ticket.save([Ticket.custom_fields, Ticket.updated_at])
        await Event(ticket=ticket.id, actor=actor.id, kind="fields", new=", ".join(changed)[:100], public=False).save()
    return ticket


def _organization_of(ticket: Ticket) -> int | None:
    return getattr(ticket.organization, "id", ticket.organization) or None


async def _organization_names(ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i] or [0]
    rows = await Organization.select(Organization.id, Organization.name).where(Organization.id.is_in(wanted))
    return {row["id"]: row["name"] for row in rows}


async def change_organization(actor: User, ticket: Ticket, organization_id: int | None) -> Ticket:
    """File the ticket under the requester's organization, or under none: no other one."""
    if not is_staff(actor):
        raise NotAllowed()
    requester = await User.objects().where(User.id == getattr(ticket.requester, "id", ticket.requester)).first()
    if organization_id is not None and organization_id != requester.organization:
        raise TicketError("organization_not_requesters", "organization")
    names = await _organization_names({_organization_of(ticket), organization_id})
    async with write_transaction():
        await lock_current(ticket)
        current = _organization_of(ticket)
        if organization_id == current:
            return ticket
        if current and current not in names:  # filed under another one meanwhile
            names = await _organization_names({current, organization_id})
        ticket.organization, ticket.updated_at = organization_id, datetime.now(UTC)
        await ticket.save([Ticket.organization, Ticket.updated_at])
        await Event(
            ticket=ticket.id,
            actor=actor.id,
            kind="organization",
            old=names.get(current, "")[:100],
            new=names.get(organization_id, "")[:100],
            public=False,
        ).save()
    return ticket


@dataclass(frozen=True, slots=True)
class Changes:
    status: object = KEEP  # a status
    assignee: object = KEEP  # a staff member's email, or None for the queue
    priority: object = KEEP
    type: object = KEEP


async def apply(settings: Settings, actor: User, ticket: Ticket, changes: Changes) -> Ticket:
    """Make the changes in one transaction, checked against the ticket as it is now; a refused one
    (TicketError with its field) leaves the ticket untouched."""
    if not is_staff(actor):
        raise NotAllowed()
    async with write_transaction():
        await lock_current(ticket)
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
