"""Merges made at once with another merge or a close of the same tickets: each decided on both tickets as
they are then."""

import asyncio

from portal.notify.tables import OutboxMessage
from portal.tickets import conversation, merging, visibility
from portal.tickets.errors import TicketError
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Event, Message, Ticket
from portal.tickets.visibility import number_of


async def _ticket(settings, who, subject: str) -> Ticket:
    return await open_ticket(settings, who, NewTicket(type="incident", subject=subject, description="Smoke."))


async def _page(people, ticket: Ticket) -> Ticket:
    """The ticket as a staff page opened on it read it."""
    return await visibility.get_for(people["agent"], number_of(ticket.id))


def _outcomes(outcomes: list) -> list[str]:
    """What each merge came to: "merged", or the code it was refused with."""
    return sorted(
        o.code if isinstance(o, TicketError) else "merged" if isinstance(o, Ticket) else repr(o) for o in outcomes
    )


async def _merged_mails(to: str) -> int:
    return sum(
        "so we merged" in m.body_text for m in await OutboxMessage.objects().where(OutboxMessage.to_address == to)
    )


async def test_a_duplicate_merged_twice_at_once_is_merged_once(settings, people):
    duplicate = await _ticket(settings, people["ann"], "Printer on fire")
    survivor = await _ticket(settings, people["bob"], "Printer burning")
    read_by = [await _page(people, duplicate) for _ in range(2)]
    outcomes = await asyncio.gather(
        merging.merge(settings, people["agent"], read_by[0], number_of(survivor.id)),
        merging.merge(settings, people["other"], read_by[1], number_of(survivor.id)),
        return_exceptions=True,
    )
    assert _outcomes(outcomes) == ["merge_closed", "merged"]  # the second finds it merged and closed
    assert await Message.count().where(Message.ticket == survivor.id) == 1  # the duplicate's description, once
    assert await Event.count().where(Event.kind == "merged_from") == 1
    assert await _merged_mails("ann@example.com") == 1


async def test_two_merges_crossing_at_once_make_no_chain(settings, people):
    first = await _ticket(settings, people["ann"], "Printer on fire")
    second = await _ticket(settings, people["bob"], "Printer burning")
    third = await _ticket(settings, people["bob"], "Printer smoking")
    # One agent merges the first into the second while another merges the second into the third.
    outcomes = await asyncio.gather(
        merging.merge(settings, people["agent"], await _page(people, first), number_of(second.id)),
        merging.merge(settings, people["other"], await _page(people, second), number_of(third.id)),
        return_exceptions=True,
    )
    assert _outcomes(outcomes) in (["merge_chain", "merged"], ["merge_into_closed", "merged"])
    rows = await Ticket.select(Ticket.id, Ticket.merged_into)
    merged = {row["id"] for row in rows if row["merged_into"]}
    assert len(merged) == 1 and not any(row["merged_into"] in merged for row in rows)


async def test_a_ticket_closed_while_a_duplicate_is_merged_into_it_takes_no_merge_after_it_closed(settings, people):
    duplicate = await _ticket(settings, people["ann"], "Printer on fire")
    survivor = await _ticket(settings, people["bob"], "Printer burning")
    outcomes = await asyncio.gather(
        merging.merge(settings, people["agent"], await _page(people, duplicate), number_of(survivor.id)),
        conversation.close_by_customer(settings, people["bob"], await _page(people, survivor)),
        return_exceptions=True,
    )
    merge_outcome = _outcomes(outcomes[:1])
    merged_from = await Event.objects().where(Event.kind == "merged_from").first()
    closed = await Event.objects().where((Event.ticket == survivor.id) & (Event.new == "closed")).first()
    if merge_outcome == ["merged"]:
        assert merged_from.id < closed.id  # merged first, closed after
    else:
        assert merge_outcome == ["merge_into_closed"] and merged_from is None
        row = await Ticket.select(Ticket.status, Ticket.merged_into).where(Ticket.id == duplicate.id).first()
        assert row == {"status": "new", "merged_into": None}  # the duplicate stays as it was
