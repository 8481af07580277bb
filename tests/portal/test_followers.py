"""Followers of a ticket: co-executors told of every change, customers of the organization in copy
who see the ticket and get its public mail; who may add whom; the API for staff tokens."""

import pytest

from auth import api_tokens
from auth.tables import Organization, Role
from portal.notify.tables import OutboxMessage
from portal.tickets import assignment, conversation, followers, groups
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Event
from portal.tickets.visibility import get_for, number_of
from tests.helpers import create_user, post_form, sign_in
from tests.portal.test_api_tickets import bearer


@pytest.fixture
async def world(settings):
    acme = Organization(name="Acme")
    await acme.save()
    other_org = Organization(name="Globex")
    await other_org.save()
    people = {
        "ann": await create_user(settings, "ann@example.com", name="Ann Acme", organization_id=acme.id),
        "carl": await create_user(settings, "carl@example.com", name="Carl Acme", organization_id=acme.id),
        "gus": await create_user(settings, "gus@example.com", name="Gus Globex", organization_id=other_org.id),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "colleague": await create_user(settings, "colleague@example.com", Role.AGENT, name="Cleo Colleague"),
        "stranger": await create_user(settings, "stranger@example.com", Role.AGENT, name="Stan Stranger"),
    }
    first, second = await groups.create_group("Support L1"), await groups.create_group("Repairs")
    for who, group in (("agent", first), ("colleague", first), ("stranger", second)):
        await groups.add_member(group.id, people[who].id, False)
    ticket = await open_ticket(settings, people["ann"], NewTicket(type="question", subject="VPN", description="Down."))
    await assignment.assign(settings, people["agent"], ticket, people["agent"].id)
    return people, await get_for(people["agent"], number_of(ticket.id))


async def _told(to: str) -> list[OutboxMessage]:
    """The mails telling a co-executor of a change."""
    mails = await OutboxMessage.objects().where(OutboxMessage.to_address == to).order_by(OutboxMessage.id)
    return [m for m in mails if "follow as a co-executor" in m.body_text]


async def test_a_co_executor_is_told_of_every_change_and_an_agent_of_another_group_is_not(settings, world):
    people, ticket = world
    await followers.add(people["agent"], ticket, "colleague@example.com", followers.CO_EXECUTOR)
    await conversation.reply(settings, people["ann"], ticket, "Still down.")
    await conversation.reply(settings, people["agent"], ticket, "Checking the *logs*.", internal=True)
    await conversation.reply(settings, people["agent"], ticket, "Restart the router, please.")
    told = await _told("colleague@example.com")
    assert len(told) == 3  # the customer's reply, the note, the public reply (with its status)
    assert "Still down." in told[0].body_text and "logs" in told[1].body_text and "Restart" in told[2].body_text
    assert await OutboxMessage.count().where(OutboxMessage.to_address == "stranger@example.com") == 0
    assert not await _told("agent@example.com")  # nobody is told of their own change
    await conversation.change_status(settings, people["agent"], ticket, "resolved")
    assert len(await _told("colleague@example.com")) == 4


async def test_only_the_assignee_or_a_supervisor_manages_followers_and_roles_are_checked(settings, world):
    people, ticket = world
    with pytest.raises(NotAllowed):
        await followers.add(people["stranger"], ticket, "colleague@example.com", followers.CO_EXECUTOR)
    refusals = {
        ("ann@example.com", followers.CO_EXECUTOR): "follower_already_involved",
        ("carl@example.com", followers.CO_EXECUTOR): "follower_not_staff",
        ("colleague@example.com", followers.CC): "follower_not_customer",
        ("gus@example.com", followers.CC): "follower_other_organization",
        ("nobody@example.com", followers.CC): "follower_unknown",
        ("carl@example.com", "boss"): "follower_role_invalid",
    }
    for (who, role), code in refusals.items():
        with pytest.raises(TicketError) as refused:
            await followers.add(people["agent"], ticket, who, role)
        assert refused.value.code == code, who
    assert await followers.of_ticket(ticket.id) == []


async def test_a_customer_in_copy_sees_the_ticket_gets_public_mail_and_replies(client, settings, world):
    people, ticket = world
    number = number_of(ticket.id)
    await sign_in(client, "carl@example.com")
    assert (await client.get(f"/tickets/{number}")).status_code == 404  # Acme does not share its tickets

    await followers.add(people["agent"], ticket, people["carl"].id, followers.CC)
    assert (await client.get(f"/tickets/{number}")).status_code == 200
    assert "VPN" in (await client.get("/tickets")).text
    await conversation.reply(settings, people["agent"], ticket, "A secret *note*.", internal=True)
    await conversation.reply(settings, people["agent"], ticket, "Please restart the router.")
    mails = await OutboxMessage.objects().where(OutboxMessage.to_address == "carl@example.com")
    assert len(mails) == 1 and "restart the router" in mails[0].body_text and "secret" not in mails[0].body_text
    page = (await client.get(f"/tickets/{number}")).text
    assert "restart the router" in page and "secret" not in page
    replied = await post_form(client, f"/tickets/{number}/messages", {"body": "Done, it works."})
    assert replied.status_code == 302

    await followers.remove(people["agent"], ticket, "carl@example.com")
    assert (await client.get(f"/tickets/{number}")).status_code == 404
    kinds = [e["kind"] for e in await Event.select(Event.kind).where(Event.ticket == ticket.id)]
    assert "follower" in kinds and "unfollower" in kinds


async def test_followers_on_the_ticket_page_and_through_the_api(client, settings, world):
    people, ticket = world
    number = number_of(ticket.id)
    await sign_in(client, "agent@example.com")
    added = await post_form(client, f"/staff/tickets/{number}/followers", {"user": "colleague@example.com"})
    assert added.status_code == 302
    refused = await post_form(client, f"/staff/tickets/{number}/followers", {"user": "gus@example.com", "role": "cc"})
    assert refused.status_code == 400 and "organization" in refused.text
    timeline = (await client.get(f"/staff/tickets/{number}")).text.split('id="timeline-title"')[1]
    assert "Cleo Colleague is a co-executor" in timeline.split('id="reply-title"')[0]

    token = await api_tokens.create(people["agent"], "tests")
    url = f"/api/tickets/{number}/followers"
    listed = await client.post(url, json={"user": "carl@example.com", "role": "cc"}, headers=bearer(token))
    assert listed.status_code == 200 and {(f["email"], f["role"]) for f in listed.json()} == {
        ("colleague@example.com", "co-executor"),
        ("carl@example.com", "cc"),
    }
    bad = await client.post(url, json={"user": "gus@example.com", "role": "cc"}, headers=bearer(token))
    assert bad.status_code == 400 and bad.json()["code"] == "follower_other_organization"
    left = await client.request("DELETE", url, json={"user": people["carl"].id}, headers=bearer(token))
    assert left.status_code == 200 and [f["email"] for f in left.json()] == ["colleague@example.com"]

    strangers = await api_tokens.create(people["stranger"], "tests")
    denied = await client.post(url, json={"user": "carl@example.com", "role": "cc"}, headers=bearer(strangers))
    assert denied.status_code == 403
    customers = await api_tokens.create(people["ann"], "tests")
    assert (await client.post(url, json={"user": "carl@example.com"}, headers=bearer(customers))).status_code == 404
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"post", "delete"} <= set(schema["paths"]["/api/tickets/{number}/followers"])
