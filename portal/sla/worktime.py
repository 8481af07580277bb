"""Working time a ticket took, in the calendar its deadlines are counted in: written when the first
response, a pause's end and a resolution happen (reports aggregate the stored minutes in SQL), and
filled in once for tickets answered or resolved before these figures were kept."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from auth.tables import User
from portal.sla import levels
from portal.sla.calendar import BusinessCalendar
from portal.tickets.filing import plan_of
from portal.tickets.tables import Event, Ticket

BATCH = 500


def minutes(span: timedelta) -> int:
    return round(span.total_seconds() / 60)


def to_first_response(calendar: BusinessCalendar, created: datetime, answered: datetime) -> int:
    return minutes(calendar.between(created, answered))


def to_resolution(calendar: BusinessCalendar, created: datetime, resolved: datetime, paused_minutes: int) -> int:
    """Working time from filing to resolution, less the working time it waited for the customer."""
    return max(0, minutes(calendar.between(created, resolved)) - paused_minutes)


async def calendar_of(ticket_row: dict, holidays: frozenset[date]) -> BusinessCalendar:
    requester = await User.objects().where(User.id == ticket_row["requester"]).first()
    plan, time_zone, org = await plan_of(requester)
    level = await levels.level(
        plan, ticket_row["priority"], ticket_row["type"], time_zone, holidays, org.id if org else None
    )
    return level.calendar


def _paused(calendar: BusinessCalendar, moves: list[dict], until: datetime) -> int:
    """Working minutes spent pending before `until`, from the ticket's status events."""
    total, since = 0, None
    for move in moves:
        if move["created_at"] > until:
            break
        if move["new"] == "pending" and since is None:
            since = move["created_at"]
        elif move["new"] != "pending" and since is not None:
            total += minutes(calendar.between(since, move["created_at"]))
            since = None
    return total


async def backfill(holidays: frozenset[date] = frozenset()) -> int:
    """The stored minutes for tickets answered or resolved without them; returns how many were filled."""
    filled, after = 0, 0
    missing = (Ticket.first_responded_at.is_not_null() & Ticket.first_response_business_minutes.is_null()) | (
        Ticket.resolved_at.is_not_null() & Ticket.resolution_business_minutes.is_null()
    )
    columns = (Ticket.id, Ticket.requester, Ticket.priority, Ticket.type, Ticket.created_at)
    while (
        rows := await Ticket.select(*columns, Ticket.first_responded_at, Ticket.resolved_at)
        .where(missing & (Ticket.id > after))
        .order_by(Ticket.id)
        .limit(BATCH)
    ):
        for row in rows:
            calendar = await calendar_of(row, holidays)
            moves = (
                await Event.select(Event.new, Event.created_at)
                .where((Event.ticket == row["id"]) & Event.kind.is_in(["status", "reopened"]))
                .order_by(Event.created_at)
            )
            paused = _paused(calendar, moves, row["resolved_at"] or row["created_at"])
            changes: dict = {Ticket.paused_business_minutes: paused}
            if row["first_responded_at"]:
                changes[Ticket.first_response_business_minutes] = to_first_response(
                    calendar, row["created_at"], row["first_responded_at"]
                )
            if row["resolved_at"]:
                changes[Ticket.resolution_business_minutes] = to_resolution(
                    calendar, row["created_at"], row["resolved_at"], paused
                )
            await Ticket.update(changes).where(Ticket.id == row["id"])
            filled += 1
        after = rows[-1]["id"]
    return filled
