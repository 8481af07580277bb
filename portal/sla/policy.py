"""Support plans' service levels: which calendar counts and how long a first response and a resolution
may take, by plan, priority and type (the targets the shipped help article promises)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal.sla.calendar import BusinessCalendar

OFFICE_START, OFFICE_END = time(9), time(18)
H = timedelta(hours=1)

# plan → priority → (first response, resolution), in the calendar's working time.
TARGETS: dict[str, dict[str, tuple[timedelta, timedelta]]] = {
    "standard": {"low": (24 * H, 90 * H), "normal": (8 * H, 45 * H), "high": (4 * H, 18 * H), "urgent": (2 * H, 9 * H)},
    "premium": {"low": (8 * H, 45 * H), "normal": (4 * H, 27 * H), "high": (2 * H, 9 * H), "urgent": (1 * H, 4 * H)},
}
# Customers may pick these priorities; staff may set any.
CUSTOMER_PRIORITIES = {"standard": ("low", "normal", "high"), "premium": ("low", "normal", "high", "urgent")}
RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
# A critical incident is at least this urgent, whatever was chosen.
FLOOR_BY_TYPE = {"critical_incident": {"standard": "high", "premium": "urgent"}}
# Ideas and opinions are answered, but have no resolution deadline.
NO_RESOLUTION_TARGET = frozenset({"feature_request", "feedback"})


@dataclass(frozen=True, slots=True)
class Deadlines:
    first_response: datetime
    resolution: datetime | None
    calendar: BusinessCalendar
    # When escalation looks: a new ticket not yet taken, and the warnings before each deadline.
    triage: datetime | None = None
    first_response_warning: datetime | None = None
    resolution_warning: datetime | None = None


def warning(calendar: BusinessCalendar, opened: datetime, due: datetime | None, percent: int) -> datetime | None:
    """The moment `percent` of the working time from `opened` to `due` has passed."""
    if due is None:
        return None
    return calendar.add(opened, calendar.between(opened, due) * percent / 100)


def effective_priority(plan: str, priority: str, ticket_type: str) -> str:
    floor = FLOOR_BY_TYPE.get(ticket_type, {}).get(plan)
    return floor if floor and RANK[floor] > RANK[priority] else priority


def calendar_for(plan: str, priority: str, time_zone: str, holidays: frozenset[date] = frozenset()) -> BusinessCalendar:
    """Premium's urgent tickets run around the clock; everything else in office hours."""
    if plan == "premium" and priority == "urgent":
        return BusinessCalendar.always(time_zone)
    return BusinessCalendar.office(time_zone, OFFICE_START, OFFICE_END, holidays=holidays)


def deadlines(
    plan: str,
    priority: str,
    ticket_type: str,
    opened: datetime,
    time_zone: str,
    holidays: frozenset[date] = frozenset(),
) -> Deadlines:
    plan = plan if plan in TARGETS else "standard"
    priority = effective_priority(plan, priority, ticket_type)
    calendar = calendar_for(plan, priority, time_zone, holidays)
    first, resolve = TARGETS[plan][priority]
    resolution = None if ticket_type in NO_RESOLUTION_TARGET else calendar.add(opened, resolve)
    return Deadlines(calendar.add(opened, first), resolution, calendar)


def resume(
    calendar: BusinessCalendar, due: datetime | None, paused_at: datetime, resumed_at: datetime
) -> datetime | None:
    """A deadline moved on by the working time that passed while the ticket waited for the customer."""
    if due is None:
        return None
    return calendar.add(due, calendar.between(paused_at, resumed_at))
