"""Priority changes at once, and with a change of type: each recorded from the ticket as it is then, and the
deadlines those of the priority and type the ticket ends with."""

import asyncio

from portal.sla.levels import deadlines
from portal.tickets import changes, priority
from portal.tickets.tables import Event, Ticket
from tests.helpers import read_by_pages


async def _targets(settings, row: Ticket):
    """The deadlines of the row's priority and type, counted from when it was filed."""
    return await deadlines("standard", row.priority, row.type, row.created_at, "UTC", settings.holidays)


async def test_two_priority_changes_at_once_each_record_the_priority_they_changed(settings, people):
    read_by = await read_by_pages(settings, people["ann"], 2)
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
    read_by = await read_by_pages(settings, people["ann"], 2)
    await asyncio.gather(
        priority.change_priority(settings, people["agent"], read_by[0], "high"),
        # Feature requests have no resolution target.
        changes.change_type(settings, people["other"], read_by[1], "feature_request"),
    )
    row = await Ticket.objects().where(Ticket.id == read_by[0].id).first()
    assert (row.priority, row.type) == ("high", "feature_request")
    assert row.first_response_due == (await _targets(settings, row)).first_response
    assert row.resolution_due is None and row.resolution_warn_at is None
