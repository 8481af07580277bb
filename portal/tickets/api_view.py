"""Tickets as records for integrations: a page of the tickets a viewer may see, and one ticket's
conversation and timeline as that viewer may read them (visibility decides both)."""

from __future__ import annotations

from dataclasses import dataclass

from auth.tables import User
from portal.tickets import visibility
from portal.tickets.errors import TicketError
from portal.tickets.tables import Event, Message, Ticket
from portal.tickets.workflow import Status

STATUSES = frozenset(s.value for s in Status)
MAX_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class Listing:
    rows: list[dict]  # each with "id": the caller turns it into a number
    page: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class Conversation:
    messages: list[dict]  # with "staff": whether its author is staff
    events: list[dict]


async def listing(viewer: User, status: str = "", page: int = 1, per_page: int = 50) -> Listing:
    """The tickets the viewer may see, newest first; TicketError for an unknown status."""
    page = min(max(page, 1), MAX_PAGE)
    query = Ticket.select(
        Ticket.id,
        Ticket.status,
        Ticket.type,
        Ticket.priority,
        Ticket.subject,
        Ticket.created_at,
        Ticket.updated_at,
        Ticket.first_response_due,
        Ticket.resolution_due,
    )
    condition = await visibility.scope(viewer)
    if condition is not None:
        query = query.where(condition)
    if status:
        if status not in STATUSES:
            raise TicketError("status_invalid", "status")
        query = query.where(Ticket.status == status)
    # One row more than a page says whether another page follows, without counting them all.
    rows = await query.order_by(Ticket.id, ascending=False).limit(per_page + 1).offset((page - 1) * per_page)
    return Listing(rows[:per_page], page, len(rows) > per_page)


# Plain SQL: the API reads a ticket's conversation on every call, and building these joins with Piccolo
# cost more than running them. The last parameter is visibility.sees_internal: the rule stays there.
_MESSAGES = (
    "SELECT m.id, u.name AS author, u.role AS role, m.body, m.internal, m.created_at FROM ticket_message m "
    "LEFT JOIN portal_user u ON u.id = m.author WHERE m.ticket = {} AND (NOT m.internal OR {}) ORDER BY m.id"
)
_EVENTS = "SELECT kind, old, new, public, created_at FROM ticket_event WHERE ticket = {} AND (public OR {}) ORDER BY id"


async def conversation(viewer: User, ticket: Ticket) -> Conversation:
    """The ticket's messages and events, oldest first, as far as the viewer may read them."""
    internal = visibility.sees_internal(viewer)
    messages = [dict(row) for row in await Message.raw(_MESSAGES, ticket.id, internal)]
    events = [dict(row) for row in await Event.raw(_EVENTS, ticket.id, internal)]
    for row in messages:
        row["staff"] = row.pop("role") in visibility.STAFF
        row["internal"] = bool(row["internal"])
    for row in events:
        row["public"] = bool(row["public"])
    return Conversation(messages, events)
