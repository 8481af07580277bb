"""Priority changes at once, and with a change of type: each recorded from the ticket as it is then, and the
deadlines those of the priority and type the ticket ends with."""

import asyncio

import pytest

from auth.tables import Role
from portal.sla.levels import deadlines
from portal.tickets import changes, priority
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Event, Ticket
from tests.helpers import create_user


@pytest.fixture
async def people(settings):
    return {
        "ann": await create_user(settings, "ann@example.com", name="Ann"),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "other": await create_user(settings, "other@example.com", Role.AGENT, name="Olga Agent"),
    }


async def _copies(settings, who, n: int) -> list[Ticket]:
    """A new ticket as `n` pages opened on it read it."""
    ticket = await open_ticket(settings, who, NewTicket(type="incident", subject="Router", description="Reboots."))
    return [await Ticket.objects().where(Ticket.id == ticket.id).first() for _ in range(n)]


async def _targets(settings, row: Ticket):
    """The deadlines of the row's priority and type, counted from when it was filed."""
    return await deadlines("standard", row.priority, row.type, row.created_at, "UTC", settings.holidays)


async def test_two_priority_changes_at_once_each_record_the_priority_they_changed(settings, people):
    read_by = await _copies(settings, people["ann"], 2)
    await asyncio.gather(
        priority.change_priority(settings, people["agent"], read_by[0], "high"),
        priority.change_priority(settings, people["other"], read_by[1], "urgent"),
    )
    events = (
        await Event.objects().where((Event.ticket == read_by[0].id) & (Event.kind == "priority")).order_by(Event.id)
    )
    assert events[0].old == "normal" and events[1].old == events[0].new  # the second changed the first's
    row = await Ticket.objects().where(Ticket.id == read_by[0].id).first()
    assert row.priority == events[1].new and row.first_response_due == (await _targets(settings, row)).first_response


async def test_a_priority_and_a_type_changed_at_once_give_the_deadlines_of_both(settings, people):
    read_by = await _copies(settings, people["ann"], 2)
    await asyncio.gather(
        priority.change_priority(settings, people["agent"], read_by[0], "high"),
        # Feature requests have no resolution target.
        changes.change_type(settings, people["other"], read_by[1], "feature_request"),
    )
    row = await Ticket.objects().where(Ticket.id == read_by[0].id).first()
    assert (row.priority, row.type) == ("high", "feature_request")
    assert row.first_response_due == (await _targets(settings, row)).first_response
    assert row.resolution_due is None and row.resolution_warn_at is None
