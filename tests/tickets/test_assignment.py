"""Assignment: agents taking, assigning and giving back a ticket at once, each on the ticket as it is then."""

import asyncio

from portal.notify.tables import OutboxMessage
from portal.tickets import assignment
from portal.tickets.tables import Ticket
from tests.helpers import events_of, read_by_pages


async def test_two_agents_taking_a_ticket_at_once_each_record_whom_they_took_it_from(settings, people):
    read_by = await read_by_pages(settings, people["ann"], 2)
    await asyncio.gather(
        assignment.assign(settings, people["agent"], read_by[0], people["agent"].id),
        assignment.assign(settings, people["other"], read_by[1], people["other"].id),
    )
    first, second = await events_of(read_by[0], "assigned")
    assert first.old == "" and second.old == first.new  # the second took it from the first, not from the queue
    row = await Ticket.select(Ticket.assignee).where(Ticket.id == read_by[0].id).first()
    assert str(row["assignee"]) == second.new


async def test_two_supervisors_assigning_one_agent_at_once_assign_and_mail_once(settings, people):
    read_by = await read_by_pages(settings, people["ann"], 2)
    await asyncio.gather(*(assignment.assign(settings, people["boss"], copy, people["agent"].id) for copy in read_by))
    assert [(e.old, e.new) for e in await events_of(read_by[0], "assigned")] == [("", str(people["agent"].id))]
    assert await OutboxMessage.count().where(OutboxMessage.to_address == "agent@example.com") == 1


async def test_two_agents_giving_a_ticket_back_at_once_give_it_back_once(settings, people):
    read_by = await read_by_pages(settings, people["ann"], 3)
    await assignment.assign(settings, people["agent"], read_by[2], people["agent"].id)
    await asyncio.gather(*(assignment.unassign(people["agent"], copy) for copy in read_by[:2]))
    assert [e.old for e in await events_of(read_by[0], "unassigned")] == [str(people["agent"].id)]
    assert (await Ticket.select(Ticket.assignee).where(Ticket.id == read_by[0].id).first())["assignee"] is None
