"""The customer's side of filing and finding tickets: the form's choices and the list of their (and
their organization's) tickets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from auth.tables import User
from portal.sla import levels
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
    return await levels.customer_priorities(plan)


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


# The page customers open most: plain SQL, since building it with Piccolo cost more than running it.
# {where} holds only the fixed conditions of `conditions`; every value is a bound parameter.
_COUNT = "SELECT COUNT(*) AS n FROM ticket t WHERE {where}"
_PAGE = (
    "SELECT t.id, t.subject, t.status, t.type, t.priority, t.updated_at, t.first_response_due, "
    "t.first_responded_at, t.resolution_due, u.name AS requester_name "
    "FROM ticket t JOIN portal_user u ON u.id = t.requester WHERE {where} "
    "ORDER BY t.updated_at DESC, t.id DESC LIMIT {{}} OFFSET {{}}"
)


_MINE_OR_IN_COPY = (
    "(t.requester = {} OR (t.organization = {} AND t.id IN "
    "(SELECT ticket FROM ticket_follower WHERE follower = {} AND role = 'cc')))"
)


def conditions(user: User, tab: str, shared: int | None, filters: Filters) -> tuple[str, list]:
    """The list's WHERE clause with its parameters: the tab's tickets (own and those in copy, or the
    sharing organization's: visibility.scope's halves), then the filters."""
    if tab == "organization":
        sql, params = ["t.organization = {}"], [shared]
    elif user.organization:
        sql, params = [_MINE_OR_IN_COPY], [user.id, user.organization, user.id]
    else:
        sql, params = ["t.requester = {}"], [user.id]
    if filters.status in STATUS_GROUPS:
        statuses = [status.value for status in STATUS_GROUPS[filters.status]]
        sql.append(f"t.status IN ({', '.join('{}' for _ in statuses)})")
        params += statuses
    if filters.type:
        sql.append("t.type = {}")
        params.append(filters.type)
    if q := " ".join(filters.q.split())[:MAX_QUERY]:
        # SQLite's LIKE already ignores ASCII case. A "%" or "_" the customer types acts as a wildcard,
        # which can only widen a search of their own tickets.
        like = "ILIKE" if Ticket._meta.db.engine_type == "postgres" else "LIKE"
        matching, params = f"t.subject {like} {{}}", [*params, f"%{q}%"]
        if number := _NUMBER.fullmatch(q):
            matching += " OR t.id = {}"
            params.append(visibility.id_of(int(number.group(1))))
        sql.append(f"({matching})")
    return " AND ".join(sql), params


async def my_tickets(user: User, filters: Filters) -> TicketList:
    """One page of the customer's tickets (or their organization's), the latest activity first;
    always within visibility.scope."""
    shared = await visibility.shared_organization(user)
    tab = "organization" if filters.tab == "organization" and shared else "mine"
    where, params = conditions(user, tab, shared, filters)
    total = (await Ticket.raw(_COUNT.format(where=where), *params))[0]["n"]
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(filters.page, 1), pages)
    rows = await Ticket.raw(_PAGE.format(where=where), *params, PER_PAGE, (page - 1) * PER_PAGE)
    rows = [{**row, "number": visibility.number_of(row["id"]), "due": deadline(row)} for row in rows]
    return TicketList(rows, total, page, pages, tab, shared is not None)
