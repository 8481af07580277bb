"""Staff file tickets for customers (the API's requester and channel, and the staff workspace's page),
and change a ticket's status, assignee, priority and type through the API."""

import re

import pytest

from auth import api_tokens, organizations
from auth.tables import Role, SupportPlan
from portal.notify.tables import OutboxMessage
from portal.tickets.tables import CustomField, Event, Ticket, TicketType
from portal.tickets.visibility import number_of
from tests.helpers import create_user, last_mail, post_form, sign_in

NEW = {"type": "question", "subject": "Invoice is missing", "description": "She cannot find invoice 42."}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def people(settings):
    acme = await organizations.create("Acme Logistics", SupportPlan.STANDARD)
    ann = await create_user(settings, "ann@example.com", name="Ann Customer", organization_id=acme.id)
    bob = await create_user(settings, "bob@example.com", name="Bob Other")
    agent = await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent")
    boris = await create_user(settings, "boris@example.com", Role.SUPERVISOR, name="Boris Supervisor")
    return {
        "ann": ann,
        "bob": bob,
        "agent": agent,
        "boris": boris,
        "ann_token": await api_tokens.create(ann, "tests"),
        "bob_token": await api_tokens.create(bob, "tests"),
        "agent_token": await api_tokens.create(agent, "tests"),
    }


async def _ticket(number: int) -> Ticket:
    return await Ticket.objects().where(Ticket.id == number - number_of(0)).first()


# The JSON API


async def test_staff_file_for_a_customer_who_owns_the_ticket_and_gets_the_receipt(client, people):
    body = {**NEW, "requester": "Ann@Example.com", "channel": "phone", "priority": "urgent"}
    response = await client.post("/api/tickets", json=body, headers=bearer(people["agent_token"]))
    assert response.status_code == 201, response.text
    number = response.json()["number"]
    ticket = await _ticket(number)
    assert ticket.requester == people["ann"].id and ticket.channel == "phone" and ticket.priority == "urgent"
    created = await Event.objects().where((Event.ticket == ticket.id) & (Event.kind == "created")).first()
    assert created.actor == people["agent"].id
    receipt = await last_mail("ann@example.com")
    assert f"[#{number}]" in receipt.subject
    assert await OutboxMessage.count().where(OutboxMessage.to_address == "agent@example.com") == 0
    # The customer sees it among their tickets; the API tells staff how it came in.
    mine = await client.get("/api/tickets", headers=bearer(people["ann_token"]))
    assert [t["number"] for t in mine.json()["tickets"]] == [number]
    read = await client.get(f"/api/tickets/{number}", headers=bearer(people["agent_token"]))
    assert read.json()["channel"] == "phone" and read.json()["requester"] == "Ann Customer"


async def test_a_customer_cannot_file_for_someone_else(client, people):
    for extra in ({"requester": "bob@example.com"}, {"requester": "ann@example.com"}, {"channel": "phone"}):
        response = await client.post("/api/tickets", json={**NEW, **extra}, headers=bearer(people["ann_token"]))
        assert response.status_code == 403, extra
    assert await Ticket.count() == 0 and await OutboxMessage.count() == 0


async def test_an_unknown_requester_or_channel_is_refused_with_a_code(client, people):
    token = bearer(people["agent_token"])
    for requester in ("nobody@example.com", "boris@example.com"):  # no account; not a customer
        response = await client.post("/api/tickets", json={**NEW, "requester": requester}, headers=token)
        assert response.status_code == 400 and response.json()["code"] == "requester_unknown"
        assert response.json()["field"] == "requester"
    wrong = await client.post(
        "/api/tickets", json={**NEW, "requester": "ann@example.com", "channel": "web"}, headers=token
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "channel_invalid"
    assert await Ticket.count() == 0 and await OutboxMessage.count() == 0


async def _filed_by_ann(client, people) -> int:
    response = await client.post("/api/tickets", json=NEW, headers=bearer(people["ann_token"]))
    assert response.status_code == 201, response.text
    return response.json()["number"]


async def _patch(client, people, number, body, who="agent_token"):
    return await client.patch(f"/api/tickets/{number}", json=body, headers=bearer(people[who]))


async def test_staff_change_status_assignee_priority_and_type(client, people):
    number = await _filed_by_ann(client, people)
    answer = await _patch(client, people, number, {"status": "open"})
    assert answer.status_code == 200 and answer.json()["status"] == "open"
    answer = await _patch(client, people, number, {"assignee": "boris@example.com"})
    assert answer.json()["assignee"] == "Boris Supervisor"
    assert (await _ticket(number)).assignee == people["boris"].id
    answer = await _patch(client, people, number, {"assignee": None})
    assert answer.status_code == 200 and answer.json()["assignee"] is None
    assert (await _ticket(number)).assignee is None
    before = (await _ticket(number)).first_response_due
    answer = await _patch(client, people, number, {"priority": "high"})
    assert answer.json()["priority"] == "high" and (await _ticket(number)).first_response_due < before
    answer = await _patch(client, people, number, {"type": "incident"})
    assert answer.json()["type"] == "incident"
    kinds = [e.kind for e in await Event.objects().where(Event.ticket == number - number_of(0)).order_by(Event.id)]
    assert kinds == ["created", "status", "assigned", "unassigned", "priority", "type"]
    retyped = await Event.objects().where(Event.kind == "type").first()
    assert (retyped.old, retyped.new, retyped.actor, retyped.public) == (
        "question",
        "incident",
        people["agent"].id,
        False,
    )
    # The customer reads no staff-only event.
    events = (await client.get(f"/api/tickets/{number}", headers=bearer(people["ann_token"]))).json()["events"]
    assert "type" not in [e["kind"] for e in events]


async def test_invalid_changes_are_refused_and_change_nothing(client, people):
    number = await _filed_by_ann(client, people)
    for body, code in (
        ({"status": "resolved", "priority": "enormous"}, "priority_invalid"),
        ({"priority": "high", "status": "sleeping"}, "ticket_transition_invalid"),
        ({"priority": "high", "assignee": "ann@example.com"}, "assignee_invalid"),
        ({"priority": "high", "type": "no_such_type"}, "type_unknown"),
    ):
        answer = await _patch(client, people, number, body)
        assert answer.status_code == 400 and answer.json()["code"] == code, body
    await _patch(client, people, number, {"status": "closed"})
    reopen = await _patch(client, people, number, {"status": "open"})
    assert reopen.status_code == 400 and reopen.json()["code"] == "ticket_transition_invalid"
    ticket = await _ticket(number)
    assert (ticket.status, ticket.priority, ticket.type) == ("closed", "normal", "question")
    assert await Event.count().where(Event.kind.is_in(["priority", "type", "assigned"])) == 0


async def test_customers_cannot_change_tickets(client, people):
    number = await _filed_by_ann(client, people)
    own = await _patch(client, people, number, {"priority": "urgent", "status": "closed"}, who="ann_token")
    assert own.status_code == 403
    bobs = await _patch(client, people, number, {"priority": "urgent"}, who="bob_token")
    assert bobs.status_code == 404
    ticket = await _ticket(number)
    assert (ticket.status, ticket.priority) == ("new", "normal")


# The staff workspace's page


async def _as_agent(client) -> None:
    client.cookies.clear()
    assert (await sign_in(client, "agent@example.com")).status_code == 302


async def test_staff_find_the_customer_by_name_email_or_organization(client, people):
    await _as_agent(client)
    queue = await client.get("/staff/tickets")
    assert 'href="/staff/tickets/new"' in queue.text
    for query in ("ann cust", "ANN@example", "acme"):
        found = await client.get("/staff/tickets/new", params={"q": query})
        assert found.status_code == 200 and f"/staff/tickets/new?requester={people['ann'].id}" in found.text, query
        assert "bob@example.com" not in found.text
    # Staff are not customers to file for.
    assert "boris@example.com" not in (await client.get("/staff/tickets/new", params={"q": "example"})).text
    nobody = await client.get("/staff/tickets/new", params={"q": "zebra"})
    assert "No active customer matches." in nobody.text


async def test_staff_file_for_the_chosen_customer_with_the_types_fields(client, settings, people):
    question = await TicketType.objects().where(TicketType.slug == "question").first()
    await CustomField(
        ticket_type=question.id, key="invoice", label_en="Invoice number", label_ru="Номер счёта", kind="number"
    ).save()
    await _as_agent(client)
    form = await client.get("/staff/tickets/new", params={"requester": people["ann"].id})
    assert form.status_code == 200 and "Ann Customer" in form.text and "Acme Logistics" in form.text
    key = re.search(r'name="form_key" value="([^"]+)"', form.text).group(1)
    fields = {"requester": str(people["ann"].id), "form_key": key, "channel": "chat", "priority": "urgent"}
    shown = await post_form(client, "/staff/tickets/new", {**fields, "type": "question", "action": "fields"})
    assert shown.status_code == 200 and 'name="field_invoice"' in shown.text and await Ticket.count() == 0
    filed = await post_form(
        client,
        "/staff/tickets/new",
        {**fields, **NEW, "field_invoice": "42", "action": "file"},
    )
    assert filed.status_code == 302
    ticket = await Ticket.objects().first()
    assert filed.headers["location"] == f"/staff/tickets/{number_of(ticket.id)}?done=ticket_filed_for_customer"
    assert (ticket.requester, ticket.channel, ticket.priority) == (people["ann"].id, "chat", "urgent")
    assert ticket.custom_fields in ({"invoice": "42"}, '{"invoice": "42"}')
    assert f"[#{number_of(ticket.id)}]" in (await last_mail("ann@example.com")).subject
    page = await client.get(filed.headers["location"])
    assert "The ticket is filed" in page.text and "Alex Agent" in page.text and "Chat" in page.text
    # The same form sent twice files one ticket.
    again = await post_form(client, "/staff/tickets/new", {**fields, **NEW, "field_invoice": "42", "action": "file"})
    assert again.status_code == 302 and await Ticket.count() == 1


async def test_the_staff_form_shows_what_is_wrong_and_files_nothing(client, people):
    await _as_agent(client)
    base = {"requester": str(people["ann"].id), "form_key": "a" * 32, "channel": "phone", **NEW, "action": "file"}
    for change, message in (
        ({"subject": "  "}, "Enter a subject"),
        ({"channel": "web"}, "Requests cannot be filed this way."),
        ({"type": "nonsense"}, "Choose what the request is about from the list."),
        ({"priority": "enormous"}, "Choose a priority from the list."),
        ({"requester": str(people["boris"].id)}, "Choose an active customer account"),
        ({"requester": "x"}, "Choose an active customer account"),
    ):
        response = await post_form(client, "/staff/tickets/new", {**base, **change})
        assert response.status_code == 400, change
        assert 'role="alert"' in response.text and (message in response.text), change
    assert await Ticket.count() == 0 and await OutboxMessage.count() == 0
    assert (await client.get("/staff/tickets/new", params={"requester": people["boris"].id})).status_code == 400


async def test_customers_do_not_reach_the_staff_form(client, people):
    assert (await sign_in(client, "ann@example.com")).status_code == 302
    assert (await client.get("/staff/tickets/new")).status_code == 404
    answer = await post_form(
        client, "/staff/tickets/new", {"requester": str(people["bob"].id), **NEW, "action": "file"}
    )
    assert answer.status_code == 404 and await Ticket.count() == 0


async def test_a_new_type_moves_the_deadlines_to_its_targets(client, people):
    number = await _filed_by_ann(client, people)
    filed = await _ticket(number)
    # A critical incident is answered at least as fast as a high-priority ticket.
    await _patch(client, people, number, {"type": "critical_incident"})
    critical = await _ticket(number)
    assert critical.first_response_due < filed.first_response_due
    assert critical.resolution_due < filed.resolution_due
    # Ideas have no resolution deadline; a question has one again.
    await _patch(client, people, number, {"type": "feature_request"})
    assert (await _ticket(number)).resolution_due is None
    await _patch(client, people, number, {"type": "question"})
    again = await _ticket(number)
    assert (again.first_response_due, again.resolution_due) == (filed.first_response_due, filed.resolution_due)


async def test_staff_attach_the_callers_files_and_a_refused_file_files_nothing(client, people):
    from portal.tickets.tables import Attachment

    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    await _as_agent(client)
    form = await client.get("/staff/tickets/new", params={"requester": people["ann"].id})
    assert 'enctype="multipart/form-data"' in form.text and 'name="attachments"' in form.text
    key = re.search(r'name="form_key" value="([^"]+)"', form.text).group(1)
    fields = {"requester": str(people["ann"].id), "form_key": key, "channel": "phone", **NEW, "action": "file"}
    refused = await post_form(
        client, "/staff/tickets/new", fields, files=[("attachments", ("setup.exe", b"MZ\x90\x00", "x/y"))]
    )
    assert refused.status_code == 400 and "setup.exe" in refused.text and await Ticket.count() == 0
    filed = await post_form(client, "/staff/tickets/new", fields, files=[("attachments", ("photo.png", png, "x/y"))])
    assert filed.status_code == 302
    ticket = await Ticket.objects().first()
    (file,) = await Attachment.objects().where(Attachment.ticket == ticket.id)
    assert (file.filename, file.uploaded_by) == ("photo.png", people["agent"].id)
    # The customer sees the file the agent attached for them on their own page.
    await sign_in(client, "ann@example.com")
    assert "photo.png" in (await client.get(f"/tickets/{number_of(ticket.id)}")).text
