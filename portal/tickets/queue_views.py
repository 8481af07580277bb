"""The staff queues: the views (mine, my groups, the unassigned pool, due soon, overdue, escalated,
waiting for the customer, recently updated, all) with their counts, each sorted and filtered. A view,
sort or filter value the queue does not know is refused by name, never silently dropped."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta

from piccolo.columns.combination import Where, WhereRaw
from piccolo.querystring import QueryString

from auth.tables import Organization, User
from portal.sla.oversight import supervises
from portal.sla.policy import RANK
from portal.tickets.errors import TicketError
from portal.tickets.filing import CHANNELS
from portal.tickets.groups import EscalationScope, escalation_scope, groups_of
from portal.tickets.tables import StaffGroup, Ticket, TicketType
from portal.tickets.visibility import id_of, number_of
from portal.tickets.workflow import ACTIVE, Status

PER_PAGE = 50
MAX_PAGE = 10_000
VIEWS = ("mine", "groups", "pool", "due_soon", "overdue", "escalated", "waiting", "recent", "all")
SORTS = ("deadline", "priority", "updated", "created")
ORDERS = ("asc", "desc")
STATUSES = ("active", *(s.value for s in Status), "all")
RECENT = timedelta(days=1)
ACTIVE_VALUES = [s.value for s in Status if s in ACTIVE]
# Written out rather than bound as parameters: a partial index applies only to a condition it can
# read in the query itself. RUNNING: the clocks run (waiting for the customer stops them); it repeats
# the active condition, as the waiting view does, so that the open tickets' index serves them whatever
# the status filter.
ACTIVE_SQL = WhereRaw("\"ticket\".\"status\" IN ('new', 'open', 'pending')")
RUNNING_SQL = ACTIVE_SQL & WhereRaw("\"ticket\".\"status\" IN ('new', 'open')")
# The deadline that matters next: the first response until one is sent, then the resolution. The
# queue's indexes (in the tickets migrations) repeat these expressions: a database uses an index on an
# expression only where the query says the same.
NEXT_DUE = (
    'CASE WHEN "ticket"."first_responded_at" IS NULL THEN "ticket"."first_response_due" '
    'ELSE "ticket"."resolution_due" END'
)
NEXT_WARN = (
    'CASE WHEN "ticket"."first_responded_at" IS NULL THEN "ticket"."first_response_warn_at" '
    'ELSE "ticket"."resolution_warn_at" END'
)
RANK_SQL = 'CASE "ticket"."priority" ' + " ".join(f"WHEN '{p}' THEN {r}" for p, r in RANK.items()) + " ELSE 1 END"
SORT_SQL = {
    "deadline": NEXT_DUE,
    "priority": RANK_SQL,
    "updated": '"ticket"."updated_at"',
    "created": '"ticket"."created_at"',
}
# What a page is sorted by, and what the filters read (the open tickets' index holds all of them).
SORTED_BY = (
    Ticket.id,
    Ticket.first_responded_at,
    Ticket.first_response_due,
    Ticket.resolution_due,
    Ticket.priority,
    Ticket.updated_at,
    Ticket.created_at,
)
FILTERED_BY = (
    Ticket.status,
    Ticket.type,
    Ticket.organization,
    Ticket.channel,
    Ticket.assignee,
    Ticket.staff_group,
    Ticket.subject,
)
# Views that hold few tickets whatever the status filter: open ones, escalated ones, unassigned ones,
# one day's. Statuses beyond the open tickets' index: resolved ones are a week's (then they close),
# closed ones (and so all) nearly all of a desk's history.
NARROW = ("pool", "due_soon", "overdue", "escalated", "waiting", "recent")
DONE = ("resolved", "closed", "all")
HISTORY = ("closed", "all")


@dataclass(frozen=True, slots=True)
class Choice:
    """What the agent looks at: a view, its order, and the filters ("" = any)."""

    view: str = "all"
    sort: str = "deadline"
    order: str = "asc"
    status: str = "active"
    type: str = ""
    priority: str = ""
    organization: str = ""  # an organization's id
    channel: str = ""
    assignee: str = ""  # an agent's id, or "none"
    group: str = ""  # a group's id
    q: str = ""
    page: int = 1

    def query(self, **changes: object) -> dict[str, object]:
        """The choice as a link's query (the view, and what differs from the defaults), with these changes.
        The view always: a bare link opens the agent's saved choice instead."""
        chosen = asdict(replace(self, **changes))
        return {k: v for k, v in chosen.items() if k == "view" or v != getattr(DEFAULT, k)}


DEFAULT = Choice()
NAMES = tuple(f.name for f in fields(Choice))


def _refuse(name: str) -> TicketError:
    return TicketError("queue_value_unknown", name)


def _known(name: str, value: str, allowed) -> str:
    if value and value not in allowed:
        raise _refuse(name)
    return value


def _digits(name: str, value: str, *extra: str) -> str:
    if value and not (value in extra or (value.isdigit() and len(value) < 12)):
        raise _refuse(name)
    return value


async def group_choices(viewer: User) -> list[dict]:
    """The groups the viewer's queues offer: every group to a supervisor, an agent's own otherwise."""
    query = StaffGroup.select(StaffGroup.id, StaffGroup.name).order_by(StaffGroup.name)
    if not supervises(viewer):
        query = query.where(StaffGroup.id.is_in([0, *await groups_of(viewer.id)]))
    return await query


async def choose(viewer: User, raw: dict[str, str]) -> Choice:
    """The choice from a query; TicketError("queue_value_unknown", name) for any value the queue does not know."""
    unknown = sorted(set(raw) - set(NAMES))
    if unknown:
        raise _refuse(unknown[0])
    get = {name: (raw.get(name) or "").strip() for name in NAMES}
    sort = _known("sort", get["sort"], SORTS) or DEFAULT.sort
    order = _known("order", get["order"], ORDERS) or ("asc" if sort == "deadline" else "desc")
    page = _digits("page", get["page"])
    types = {row["slug"] for row in await TicketType.select(TicketType.slug)}
    groups = {str(row["id"]) for row in await group_choices(viewer)}
    return Choice(
        view=_known("view", get["view"], VIEWS) or DEFAULT.view,
        sort=sort,
        order=order,
        status=_known("status", get["status"], STATUSES) or DEFAULT.status,
        type=_known("type", get["type"], types),
        priority=_known("priority", get["priority"], RANK),
        organization=_digits("organization", get["organization"]),
        channel=_known("channel", get["channel"], CHANNELS),
        assignee=_digits("assignee", get["assignee"], "none"),
        group=_known("group", get["group"], groups),
        q=" ".join(get["q"].split())[:200],
        page=min(max(int(page or 1), 1), MAX_PAGE),
    )


async def _view(view: str, viewer: User, now: datetime) -> Where | None:
    """The condition of a view, before the status filter."""
    if view == "mine":
        return Ticket.assignee == viewer.id
    if view == "groups":
        # A supervisor oversees every group's queues; an agent works their own groups' pools.
        return (
            Ticket.staff_group.is_not_null()
            if supervises(viewer)
            else Ticket.staff_group.is_in([0, *await groups_of(viewer.id)])
        )
    if view == "pool":
        return Ticket.assignee.is_null()
    if view == "overdue":
        return RUNNING_SQL & WhereRaw(f"({NEXT_DUE}) < {{}}", now)
    if view == "due_soon":
        return RUNNING_SQL & WhereRaw(f"({NEXT_DUE}) >= {{}}", now) & WhereRaw(f"({NEXT_WARN}) <= {{}}", now)
    if view == "escalated":
        return Ticket.escalated_at.is_not_null() & _escalations_seen(await escalation_scope(viewer))
    if view == "waiting":
        return ACTIVE_SQL & (Ticket.status == Status.PENDING.value)
    if view == "recent":
        return Ticket.updated_at >= now - RECENT
    return None


def _escalations_seen(scope: EscalationScope) -> Where:
    """Other groups' escalations are their supervisors' business (see groups.escalation_scope)."""
    if scope.groups is None:
        return Ticket.id.is_not_null()
    in_scope = Ticket.staff_group.is_null() | Ticket.staff_group.is_in([0, *scope.groups])
    return in_scope | (Ticket.assignee == scope.user_id)


def _status(status: str) -> Where | None:
    if status == "all":
        return None
    if status == "active":
        return ACTIVE_SQL
    # An open status repeats the active condition: the queue's partial index then applies.
    return ACTIVE_SQL & (Ticket.status == status) if status in ACTIVE_VALUES else Ticket.status == status


def _like(column, q: str):
    # Piccolo's ilike() is PostgreSQL-only; SQLite's LIKE already ignores ASCII case.
    return column.ilike(f"%{q}%") if Ticket._meta.db.engine_type == "postgres" else column.like(f"%{q}%")


def _search(q: str) -> Where:
    condition = _like(Ticket.subject, q)
    digits = q.removeprefix("#")
    if digits.isdigit() and len(digits) < 12:
        condition = condition | (Ticket.id == id_of(int(digits)))
    return condition


def _filters(choice: Choice) -> list[Where]:
    found = [
        _status(choice.status),
        Ticket.type == choice.type if choice.type else None,
        Ticket.priority == choice.priority if choice.priority else None,
        Ticket.organization == int(choice.organization) if choice.organization else None,
        Ticket.channel == choice.channel if choice.channel else None,
        Ticket.staff_group == int(choice.group) if choice.group else None,
        _search(choice.q) if choice.q else None,
    ]
    if choice.assignee == "none":
        found.append(Ticket.assignee.is_null())
    elif choice.assignee:
        found.append(Ticket.assignee == int(choice.assignee))
    return [where for where in found if where is not None]


async def counts(viewer: User, now: datetime) -> dict[str, int]:
    """How many open tickets each view holds, in one pass over the queue's covering index."""
    parts = []
    for view in VIEWS:
        condition = await _view(view, viewer, now)
        if condition is None:
            parts.append(QueryString(f'COUNT(*) AS "{view}"'))
        else:
            parts.append(QueryString(f'SUM(CASE WHEN {{}} THEN 1 ELSE 0 END) AS "{view}"', condition.querystring))
    # Only placeholders and the fixed view names go into the text; the values travel as parameters.
    sql = "SELECT " + ", ".join("{}" for _ in parts) + ' FROM "ticket" WHERE {}'  # noqa: S608
    row = (await Ticket._meta.db.run_querystring(QueryString(sql, *parts, ACTIVE_SQL.querystring)))[0]
    return {view: int(row[view] or 0) for view in VIEWS}


@dataclass(frozen=True, slots=True)
class Listing:
    rows: list[dict]
    more: bool
    counts: dict[str, int]


async def _page_ids(viewer: User, choice: Choice, now: datetime) -> list[int]:
    """The ids of the page (and one more), chosen on the ticket table alone: only the page's rows are
    then read in full.

    How the tickets are found decides the speed. Open tickets come from their own index, which holds
    every condition and order; a narrow view's tickets from the view's condition alone, the filters
    sorting them out after (given every condition at once, a planner may take a filter's index that
    reads most of the history); either way they are found first and sorted after. Only a wide view of
    the history is read along the order's index, stopping once the page is full: anywhere else that
    walk could pass most of the history first, which the planners, reckoning the matches spread
    evenly, do not foresee (the open tickets are the newest, the day's updates have the latest
    deadlines)."""
    view, filters = await _view(choice.view, viewer, now), _filters(choice)
    narrow_done = choice.view in NARROW and choice.status in DONE
    found, then = ([view], filters) if narrow_done else ([view, *filters], [])
    query = Ticket.select(*SORTED_BY, *(FILTERED_BY if then else ()))
    for condition in found:
        if condition is not None:
            query = query.where(condition)
    along = choice.view not in NARROW and choice.status in HISTORY
    direction = "ASC" if choice.order == "asc" else "DESC"
    order = f'{SORT_SQL[choice.sort]} {direction}, "ticket"."id" {direction}'
    if choice.sort == "deadline":
        order = f"({NEXT_DUE}) IS NULL, {order}"  # no deadline last, either way
    where = "WHERE " + " AND ".join("{}" for _ in then) if then else ""
    # MATERIALIZED: found first, then sorted; NOT MATERIALIZED: the planner may walk the order's index.
    # Only fixed fragments go into the text; the values, the limit and the offset travel as parameters.
    sql = (
        f'WITH "queue" AS {"NOT MATERIALIZED" if along else "MATERIALIZED"} ({{}}) '  # noqa: S608
        f'SELECT "ticket"."id" FROM "queue" AS "ticket" {where} ORDER BY {order} LIMIT {{}} OFFSET {{}}'
    )
    offset = (choice.page - 1) * PER_PAGE
    values = [query.querystrings[0], *(condition.querystring for condition in then), PER_PAGE + 1, offset]
    return [row["id"] for row in await Ticket._meta.db.run_querystring(QueryString(sql, *values))]


async def listing(viewer: User, choice: Choice, now: datetime) -> Listing:
    """One page of the chosen view, sorted and filtered, with every view's count."""
    ids = await _page_ids(viewer, choice, now)
    rows = await Ticket.select(
        Ticket.id,
        Ticket.subject,
        Ticket.type,
        Ticket.priority,
        Ticket.status,
        Ticket.channel,
        Ticket.created_at,
        Ticket.updated_at,
        Ticket.first_response_due,
        Ticket.first_response_warn_at,
        Ticket.first_responded_at,
        Ticket.resolution_due,
        Ticket.resolution_warn_at,
        Ticket.paused_at,
        Ticket.escalated_at,
        Ticket.staff_group,
        Ticket.assignee,
        Ticket.requester.name.as_alias("requester_name"),
        Ticket.organization.name.as_alias("organization_name"),
        Ticket.assignee.name.as_alias("assignee_name"),
        Ticket.staff_group.name.as_alias("group_name"),
    ).where(Ticket.id.is_in(ids[:PER_PAGE] or [0]))
    by_id = {row["id"]: row for row in rows}
    scope = await escalation_scope(viewer)
    page = [_row(by_id[i], now, scope) for i in ids[:PER_PAGE] if i in by_id]
    return Listing(page, len(ids) > PER_PAGE, await counts(viewer, now))


def flag(due: datetime | None, warn: datetime | None, moment: datetime) -> str:
    """ "breached" past the deadline, "nearly" once the warning share of its time (80 %) has passed."""
    if due is None:
        return ""
    if due < moment:
        return "breached"
    return "nearly" if warn is not None and warn <= moment else ""


def _row(row: dict, now: datetime, scope: EscalationScope) -> dict:
    running = Status(row["status"]) in ACTIVE
    answered = row["first_responded_at"] is not None
    reaction = flag(row["first_response_due"], row["first_response_warn_at"], now) if running and not answered else ""
    # While the customer is asked for something the resolution clock stands still where it paused.
    moment = row["paused_at"] or now
    resolution = flag(row["resolution_due"], row["resolution_warn_at"], moment) if running else ""
    due = row["resolution_due"] if answered else row["first_response_due"]
    escalated = row["escalated_at"] if scope.shows(row["staff_group"], row["assignee"]) else None
    return {
        **row,
        "escalated_at": escalated,
        "number": number_of(row["id"]),
        "due": due,
        "clock_runs": running and row["paused_at"] is None,  # waiting for the customer stops it
        "reaction": reaction,
        "resolution": resolution,
    }


async def organizations() -> list[dict]:
    """The organizations the filter offers, by name."""
    return await Organization.select(Organization.id, Organization.name).order_by(Organization.name)
