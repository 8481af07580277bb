"""Deadline arithmetic shared by filing, pauses and escalation: the order of priorities, the deadlines a
ticket is given, the warning moment before each, and moving them on after a pause (the targets
themselves are data: portal.sla.levels)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.sla.calendar import BusinessCalendar

RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


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


def resume(
    calendar: BusinessCalendar, due: datetime | None, paused_at: datetime, resumed_at: datetime
) -> datetime | None:
    """A deadline moved on by the working time that passed while the ticket waited for the customer."""
    if due is None:
        return None
    return calendar.add(due, calendar.between(paused_at, resumed_at))
