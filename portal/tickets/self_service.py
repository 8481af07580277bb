"""The customer's side of filing and finding tickets: the form's choices and the list of their (and
their organization's) tickets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from auth.tables import User
from portal.sla.policy import CUSTOMER_PRIORITIES
from portal.tickets import visibility
from portal.tickets.filing import plan_of
from portal.tickets.tables import Ticket, TicketType
from portal.tickets.workflow import Status

PER_PAGE = 20
MAX_QUERY = 200
# What the list's status filter offers, in the customer's words: "open" is anything we still work on.
STATUS_GROUPS: dict[str, tuple[Status, ...]] = {
    "open": (Status.NEW, Status.OPEN),
    "waiting": (Status.PENDING,),
    "resolved": (Status.RESOLVED,),
    "closed": (Status.CLOSED,),
}
_NUMBER = re.compile(r"#?\s*(\d{1,9})")


def localized(row: dict, field: str, locale: str) -> str:
    """A type's name or a field's label in the reader's language (English when no Russian is set)."""
    return row.get(f"{field}_ru") or row[f"{field}_en"] if locale == "ru" else row[f"{field}_en"]


async def priorities_for(user: User) -> tuple[str, ...]:
    """The priorities the customer's support plan lets them choose."""
    plan, _zone, _org = await plan_of(user)
    return CUSTOMER_PRIORITIES.get(plan, CUSTOMER_PRIORITIES["standard"])


async def type_names(locale: str) -> dict[str, str]:
    """Every type's name, retired ones too: old tickets keep theirs."""
    rows = await TicketType.select(TicketType.slug, TicketType.name_en, TicketType.name_ru)
    return {row["slug"]: localized(row, "name", locale) for row in rows}


@dataclass(frozen=True, slots=True)
class Filters:
    tab: str = "mine"  # "mine" or "organization"
    status: str = ""  # a key of STATUS_GROUPS, or everything
    type: str = ""
    q: str = ""  # words of the subject, or a ticket number
    page: int = 1


@dataclass(frozen=True, slots=True)
class TicketList:
    rows: list[dict]
    total: int
    page: int
    pages: int
    tab: str
    shared: bool  # the organization shares tickets: the second tab exists


def deadline(row: dict) -> datetime | None:
    """The next thing we promised: the first answer, then the resolution; none while we wait for
    the customer (the clock stands still) or once it is done."""
    if Status(row["status"]) not in (Status.NEW, Status.OPEN):
        return None
    return row["first_response_due"] if row["first_responded_at"] is None else row["resolution_due"]


def _like(column, q: str):
    # Piccolo's ilike() is PostgreSQL-only; SQLite's LIKE already ignores ASCII case. A "%" or "_" the
    # customer types acts as a wildcard, which can only widen a search of their own tickets.
    return column.ilike(f"%{q}%") if Ticket._meta.db.engine_type == "postgres" else column.like(f"%{q}%")


def _matching(q: str):
    condition = _like(Ticket.subject, q)
    if number := _NUMBER.fullmatch(q):
        condition = condition | (Ticket.id == visibility.id_of(int(number.group(1))))
    return condition


async def my_tickets(user: User, filters: Filters) -> TicketList:
    """One page of the customer's tickets (or their organization's), the latest activity first;
    always within visibility.scope."""
    shared = await visibility.shared_organization(user)
    tab = "organization" if filters.tab == "organization" and shared else "mine"
    where = (Ticket.organization == shared) if tab == "organization" else (Ticket.requester == user.id)
    if (scope := await visibility.scope(user)) is not None:
        where = where & scope
    if filters.status in STATUS_GROUPS:
        where = where & Ticket.status.is_in([status.value for status in STATUS_GROUPS[filters.status]])
    if filters.type:
        where = where & (Ticket.type == filters.type)
    if q := " ".join(filters.q.split())[:MAX_QUERY]:
        where = where & _matching(q)
    total = await Ticket.count().where(where)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(filters.page, 1), pages)
    rows = (
        await Ticket.select(
            Ticket.id,
            Ticket.subject,
            Ticket.status,
            Ticket.type,
            Ticket.priority,
            Ticket.updated_at,
            Ticket.first_response_due,
            Ticket.first_responded_at,
            Ticket.resolution_due,
            Ticket.requester.name.as_alias("requester_name"),
        )
        .where(where)
        .order_by(Ticket.updated_at, ascending=False)
        .order_by(Ticket.id, ascending=False)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    rows = [{**row, "number": visibility.number_of(row["id"]), "due": deadline(row)} for row in rows]
    return TicketList(rows, total, page, pages, tab, shared is not None)
