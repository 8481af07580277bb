"""Tickets as integrations list them: a page of the tickets a viewer may see (visibility decides), and
the staff queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auth.tables import User
from portal.tickets import queue_views, visibility
from portal.tickets.errors import TicketError, TicketNotFound
from portal.tickets.tables import Ticket
from portal.tickets.workflow import Status

STATUSES = frozenset(s.value for s in Status)
MAX_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class Listing:
    rows: list[dict]  # each with "id": the caller turns it into a number
    page: int
    has_more: bool


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


async def queue(viewer: User, raw: dict[str, str], now: datetime) -> tuple[queue_views.Choice, queue_views.Listing]:
    """A staff queue as the API asks for it (the page's rules, without remembering the choice); to a
    customer the queues do not exist (TicketNotFound)."""
    if not visibility.is_staff(viewer):
        raise TicketNotFound()
    choice = await queue_views.choose(viewer, raw)
    return choice, await queue_views.listing(viewer, choice, now)
