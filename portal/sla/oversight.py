"""The supervisors' escalations view: which tickets are escalated, at which stage, since when and who
holds them; only supervisors and admins look at it and act from it, each on the groups they oversee
(portal.tickets.groups.escalation_scope)."""

from __future__ import annotations

from datetime import UTC, datetime

from auth.tables import Role, User
from portal.sla import escalation
from portal.sla.tables import Escalation
from portal.tickets.errors import NotAllowed
from portal.tickets.groups import escalation_scope
from portal.tickets.tables import Ticket
from portal.tickets.visibility import number_of

SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})
LIMIT = 200  # the oldest first: a longer list is a staffing problem, not one to page through


def supervises(user: User) -> bool:
    return Role(user.role) in SUPERVISING


async def oversees(viewer: User, ticket: Ticket) -> None:
    """NotAllowed unless the viewer supervises and the ticket is within the groups they oversee."""
    if not supervises(viewer):
        raise NotAllowed()
    scope = await escalation_scope(viewer)
    if not scope.shows(_id(ticket.staff_group), _id(ticket.assignee)):
        raise NotAllowed()


def _id(value: object) -> int | None:
    return getattr(value, "id", value)


async def escalated(viewer: User) -> list[dict]:
    """The escalated tickets of the groups the viewer oversees, longest waiting first, each with the
    stages nobody has acknowledged yet."""
    if not supervises(viewer):
        raise NotAllowed()
    scope = await escalation_scope(viewer)
    where = Ticket.escalated_at.is_not_null()
    if scope.groups is not None:
        mine = Ticket.staff_group.is_null() | (Ticket.assignee == viewer.id)
        if scope.groups:
            mine = mine | Ticket.staff_group.is_in(sorted(scope.groups))
        where = where & mine
    tickets = (
        await Ticket.select(
            Ticket.id,
            Ticket.subject,
            Ticket.priority,
            Ticket.status,
            Ticket.escalated_at,
            Ticket.assignee,
            Ticket.assignee.name.as_alias("assignee_name"),
            Ticket.organization.name.as_alias("organization_name"),
        )
        .where(where)
        .order_by(Ticket.escalated_at)
        .order_by(Ticket.id)
        .limit(LIMIT)
    )
    if not tickets:
        return []
    stages = (
        await Escalation.select(Escalation.ticket, Escalation.stage, Escalation.created_at)
        .where(
            Escalation.ticket.is_in([t["id"] for t in tickets])
            & Escalation.acknowledged_at.is_null()
            & (Escalation.stage != escalation.ANNOUNCE)
        )
        .order_by(Escalation.created_at)
        .order_by(Escalation.id)
    )
    by_ticket: dict[int, list[dict]] = {}
    for row in stages:
        by_ticket.setdefault(row["ticket"], []).append(row)
    rows = []
    for ticket in tickets:
        open_stages = by_ticket.get(ticket["id"], [])
        since = open_stages[0]["created_at"] if open_stages else ticket["escalated_at"]
        stages = [row["stage"] for row in open_stages]
        rows.append({**ticket, "number": number_of(ticket["id"]), "stages": stages, "since": since})
    return rows


async def acknowledge(viewer: User, ticket: Ticket, now: datetime | None = None) -> bool:
    """The supervisor has seen it: the ticket leaves the list and loses the queue's flag."""
    await oversees(viewer, ticket)
    return await escalation.acknowledge(viewer.id, ticket.id, now or datetime.now(UTC))
