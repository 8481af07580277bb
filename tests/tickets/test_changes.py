"""Changes to what was filed, and several facts changed at once through the API, made by two agents at
once: each decided on the ticket as it is then."""

import asyncio

import pytest

from auth import organizations
from auth.tables import Role
from portal.notify.tables import OutboxMessage
from portal.tickets import admin_types, changes
from portal.tickets.tables import Ticket, TicketType
from tests.helpers import create_user, events_of, read_by_pages


@pytest.fixture
async def people(settings):
    acme = await organizations.create("Acme")
    return {
        "ann": await create_user(settings, "ann@example.com", name="Ann", organization_id=acme.id),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "other": await create_user(settings, "other@example.com", Role.AGENT, name="Olga Agent"),
    }


async def test_two_agents_giving_the_same_answers_at_once_record_one_change(settings, people):
    question = await TicketType.objects().where(TicketType.slug == "question").first()
    await admin_types.add_field(question.id, "invoice", "Invoice number", "Номер счёта", "text", "", False)
    read_by = await read_by_pages(settings, people["ann"], 2, "question")
    await asyncio.gather(
        changes.change_fields(people["agent"], read_by[0], {"invoice": "INV-7"}),
        changes.change_fields(people["other"], read_by[1], {"invoice": "INV-7"}),
    )
    assert [e.new for e in await events_of(read_by[0], "fields")] == ["invoice"]


async def test_two_agents_taking_a_ticket_out_of_its_organization_at_once_record_it_once(settings, people):
    read_by = await read_by_pages(settings, people["ann"], 2)
    assert read_by[0].organization == people["ann"].organization
    await asyncio.gather(*(changes.change_organization(people["agent"], copy, None) for copy in read_by))
    assert [(e.old, e.new) for e in await events_of(read_by[0], "organization")] == [("Acme", "")]


async def test_two_api_changes_at_once_resolve_once_and_keep_both_priorities_in_order(settings, people):
    read_by = await read_by_pages(settings, people["ann"], 2)
    mails_before = await OutboxMessage.count().where(OutboxMessage.to_address == "ann@example.com")
    outcomes = await asyncio.gather(
        changes.apply(settings, people["agent"], read_by[0], changes.Changes(status="resolved", priority="high")),
        changes.apply(settings, people["other"], read_by[1], changes.Changes(status="resolved", priority="urgent")),
        return_exceptions=True,
    )
    # The second finds the ticket resolved already: its status stays, its priority is made.
    assert [type(o).__name__ for o in outcomes] == ["Ticket", "Ticket"]
    row = await Ticket.select(Ticket.status, Ticket.resolutions).where(Ticket.id == read_by[0].id).first()
    assert row == {"status": "resolved", "resolutions": 1}
    first, second = await events_of(read_by[0], "priority")
    assert first.old == "normal" and second.old == first.new
    assert await OutboxMessage.count().where(OutboxMessage.to_address == "ann@example.com") == mails_before + 1
