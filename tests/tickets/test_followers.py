"""Followers added from pages read before the ticket changed hands, or by two managers at once: each decided
on the ticket as it is then."""

import asyncio

from portal.tickets import assignment, followers
from portal.tickets.errors import NotAllowed
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Event, Follower, Ticket
from portal.tickets.visibility import get_for, number_of


async def _copies(settings, people, n: int) -> list[Ticket]:
    """A ticket assigned to the agent, as `n` staff pages opened on it read it."""
    ticket = await open_ticket(settings, people["ann"], NewTicket(type="question", subject="VPN", description="Down."))
    await assignment.assign(settings, people["agent"], ticket, people["agent"].id)
    return [await get_for(people["agent"], number_of(ticket.id)) for _ in range(n)]


async def test_an_agent_the_ticket_was_taken_from_adds_no_followers_from_pages_read_before(settings, people):
    read_by = await _copies(settings, people, 3)
    await assignment.assign(settings, people["boss"], read_by[2], people["other"].id)
    outcomes = await asyncio.gather(
        *(followers.add(people["agent"], copy, "colleague@example.com", followers.CO_EXECUTOR) for copy in read_by[:2]),
        return_exceptions=True,
    )
    assert [type(o) for o in outcomes] == [NotAllowed, NotAllowed]
    assert await Follower.count() == 0


async def test_two_managers_adding_one_co_executor_at_once_add_them_once(settings, people):
    read_by = await _copies(settings, people, 2)
    await asyncio.gather(
        followers.add(people["agent"], read_by[0], "colleague@example.com", followers.CO_EXECUTOR),
        followers.add(people["boss"], read_by[1], "colleague@example.com", followers.CO_EXECUTOR),
    )
    assert [e.new for e in await Event.objects().where(Event.kind == "follower")] == ["co-executor:Cleo Colleague"]
    assert [f.role for f in await followers.of_ticket(read_by[0].id)] == [followers.CO_EXECUTOR]
