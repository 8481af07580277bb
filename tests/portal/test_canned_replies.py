"""Canned replies: placeholders filled and escaped, who manages which, inserting with and without
JavaScript, and the JSON API for staff tokens."""

import pytest

from auth import api_tokens
from auth.tables import Role
from portal.tickets import canned
from portal.tickets.errors import NotAllowed, TicketError, TicketNotFound
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import CannedReply, Message
from portal.tickets.visibility import get_for, number_of
from tests.helpers import create_user, post_form, sign_in
from tests.portal.test_api_tickets import bearer

NASTY = "**Bob** [win](http://evil.test) <img src=x onerror=alert(1)>"
GREETING = "Hello {customer_first_name}, about #{ticket_number} ({ticket_subject}): {agent_name} here."


@pytest.fixture
async def people(settings):
    return {
        "bob": await create_user(settings, "bob@example.com", name=NASTY, locale="ru"),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "other": await create_user(settings, "other@example.com", Role.AGENT, name="Olga Other"),
        "admin": await create_user(settings, "admin@example.com", Role.ADMIN, name="Ada Admin"),
    }


async def _ticket(settings, who):
    draft = NewTicket(type="question", subject="Invoice *42* missing", description="Where is it?")
    return await open_ticket(settings, who, draft)


async def _as(client, email: str) -> None:
    client.cookies.clear()
    assert (await sign_in(client, email)).status_code == 302


async def test_placeholders_are_filled_and_a_customers_markup_stays_text(client, settings, people):
    ticket = await _ticket(settings, people["bob"])
    reply = await canned.create(people["agent"], canned.Draft("Greeting", GREETING))
    await _as(client, "agent@example.com")
    number = number_of(ticket.id)
    inserted = await post_form(
        client, f"/staff/tickets/{number}/messages", {"body": "", "canned": str(reply.id), "action": "insert"}
    )
    assert inserted.status_code == 200 and f"#{number}" in inserted.text and "Alex Agent here." in inserted.text
    assert await Message.count().where(Message.ticket == ticket.id) == 0  # inserting sends nothing

    filled = canned.fill(GREETING, canned.values_for(await get_for(people["agent"], number), people["agent"]))
    sent = await post_form(client, f"/staff/tickets/{number}/messages", {"body": filled, "visibility": "public"})
    assert sent.status_code == 302
    page = (await client.get(f"/staff/tickets/{number}")).text
    timeline = page.split('id="timeline-title"')[1].split('id="reply-title"')[0]
    # The name is the customer's own text: no bold, no link, no image, whatever it contains.
    assert "<strong>Bob</strong>" not in timeline and 'href="http://evil.test"' not in timeline
    assert "<img" not in timeline and "Hello **Bob**" in timeline.replace("&ast;", "*")
    assert "Invoice *42* missing" in timeline.replace("&ast;", "*") and "<em>42</em>" not in timeline


async def test_unknown_placeholders_are_refused_with_their_names(client, settings, people):
    with pytest.raises(TicketError) as refused:
        await canned.create(people["agent"], canned.Draft("Typo", "Hi {customer_frist_name}"))
    assert refused.value.code == "canned_placeholder_unknown"
    await _as(client, "agent@example.com")
    page = await post_form(client, "/staff/canned-replies", {"title": "Typo", "body": "Hi {customer_frist_name}"})
    assert page.status_code == 400 and "customer_frist_name" in page.text
    assert await CannedReply.count() == 0


async def test_owners_manage_their_own_and_admins_the_shared_ones(client, settings, people):
    mine = await canned.create(people["agent"], canned.Draft("Mine", "Thanks!"))
    theirs = await canned.create(people["other"], canned.Draft("Theirs", "Cheers!"))
    with pytest.raises(NotAllowed):
        await canned.create(people["agent"], canned.Draft("For all", "Hi", shared=True))
    shared = await canned.create(people["admin"], canned.Draft("For all", "Hi {customer_name}", shared=True))

    await _as(client, "agent@example.com")
    listing = (await client.get("/staff/canned-replies")).text
    assert "Mine" in listing and "For all" in listing and "Theirs" not in listing
    saved = await post_form(client, f"/staff/canned-replies/{mine.id}", {"title": "Mine v2", "body": "Thanks a lot!"})
    assert saved.status_code == 302
    assert (await client.get(f"/staff/canned-replies/{theirs.id}")).status_code == 404
    assert (await post_form(client, f"/staff/canned-replies/{theirs.id}/delete", {})).status_code == 404
    assert (
        await post_form(client, f"/staff/canned-replies/{shared.id}", {"title": "X", "body": "Y"})
    ).status_code == 403
    assert (await post_form(client, f"/staff/canned-replies/{shared.id}/delete", {})).status_code == 403

    await _as(client, "admin@example.com")
    assert (await post_form(client, f"/staff/canned-replies/{theirs.id}/delete", {})).status_code == 302
    edited = await post_form(client, f"/staff/canned-replies/{shared.id}", {"title": "For all", "body": "Hello!"})
    assert edited.status_code == 302
    rows = {r["title"]: r["body"] for r in await CannedReply.select(CannedReply.title, CannedReply.body)}
    assert rows == {"Mine v2": "Thanks a lot!", "For all": "Hello!"}


async def test_another_agents_personal_reply_cannot_be_inserted(client, settings, people):
    ticket = await _ticket(settings, people["bob"])
    theirs = await canned.create(people["other"], canned.Draft("Theirs", "Secret {agent_name}"))
    with pytest.raises(TicketNotFound):
        await canned.insert(people["agent"], await get_for(people["agent"], number_of(ticket.id)), theirs.id, "")
    await _as(client, "agent@example.com")
    page = (await client.get(f"/staff/tickets/{number_of(ticket.id)}")).text
    assert "Secret" not in page


async def test_the_ticket_page_carries_the_filled_replies_for_the_script(client, settings, people):
    ticket = await _ticket(settings, people["bob"])
    await canned.create(people["agent"], canned.Draft("Short", "Dear {customer_first_name}", locale="ru"))
    await _as(client, "agent@example.com")
    page = (await client.get(f"/staff/tickets/{number_of(ticket.id)}")).text
    assert 'data-text="Dear \\*\\*Bob\\*\\*"' in page and "data-canned-insert" in page
    assert "/static/portal.js" in page


async def test_customers_find_no_canned_reply_routes(client, settings, people):
    reply = await canned.create(people["agent"], canned.Draft("Mine", "Thanks!"))
    await create_user(settings, "ann@example.com")
    await _as(client, "ann@example.com")
    for url in ("/staff/canned-replies", f"/staff/canned-replies/{reply.id}"):
        assert (await client.get(url)).status_code == 404
    for url in (
        "/staff/canned-replies",
        f"/staff/canned-replies/{reply.id}",
        f"/staff/canned-replies/{reply.id}/delete",
    ):
        assert (await post_form(client, url, {"title": "x", "body": "y"})).status_code == 404
    assert await CannedReply.count() == 1


async def test_the_api_lists_fills_and_creates_canned_replies_for_staff_tokens(client, settings, people):
    ticket = await _ticket(settings, people["bob"])
    token = await api_tokens.create(people["agent"], "tests")
    made = await client.post(
        "/api/canned-replies", json={"title": "Greeting", "body": GREETING, "locale": "ru"}, headers=bearer(token)
    )
    assert made.status_code == 201 and made.json()["shared"] is False
    refused = await client.post("/api/canned-replies", json={"title": "Bad", "body": "{nope}"}, headers=bearer(token))
    assert refused.status_code == 400 and refused.json()["code"] == "canned_placeholder_unknown"
    shared = await client.post(
        "/api/canned-replies", json={"title": "All", "body": "Hi", "shared": True}, headers=bearer(token)
    )
    assert shared.status_code == 403

    raw = (await client.get("/api/canned-replies", headers=bearer(token))).json()
    assert [r["body"] for r in raw] == [GREETING]
    number = number_of(ticket.id)
    filled = (await client.get("/api/canned-replies", params={"ticket": number}, headers=bearer(token))).json()
    assert filled[0]["body"].startswith("Hello \\*\\*Bob\\*\\*, about #") and "Alex Agent here." in filled[0]["body"]

    customers = await api_tokens.create(people["bob"], "tests")
    assert (await client.get("/api/canned-replies", headers=bearer(customers))).status_code == 404
    posted = await client.post("/api/canned-replies", json={"title": "x", "body": "y"}, headers=bearer(customers))
    assert posted.status_code == 404
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"get", "post"} <= set(schema["paths"]["/api/canned-replies"])
