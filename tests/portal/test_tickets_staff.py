"""Staff work tickets: the queue by deadline, replies and internal notes, status, assignment; admins keep the types."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from litestar.handlers import HTTPRouteHandler

from auth.tables import Role, User
from portal.notify.tables import OutboxMessage
from portal.tickets import types
from portal.tickets.errors import TicketError
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import CustomField, Event, Message, Ticket, TicketType
from portal.tickets.visibility import number_of
from tests.helpers import create_user, last_mail, post_form, sign_in

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _routes(app, *prefixes: str):
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and route.path.startswith(prefixes):
                for method in handler.http_methods - {"OPTIONS"}:
                    yield method, re.sub(r"\{[^}]+:int\}", "1001", route.path)


async def _call(client, method: str, url: str):
    return await (client.get(url) if method == "GET" else post_form(client, url, {}))


@pytest.fixture
async def people(settings):
    return {
        "ann": await create_user(settings, "ann@example.com", name="Ann Customer"),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "other": await create_user(settings, "boris@example.com", Role.SUPERVISOR, name="Boris Supervisor"),
    }


async def _file(settings, who, subject="Router keeps rebooting", **changes) -> Ticket:
    draft = NewTicket(type="incident", subject=subject, description="Since **Monday**.", **changes)
    return await open_ticket(settings, who, draft)


async def _fresh(ticket: Ticket) -> Ticket:
    return await Ticket.objects().where(Ticket.id == ticket.id).first()


async def _mails(to: str) -> list[OutboxMessage]:
    return await OutboxMessage.objects().where(OutboxMessage.to_address == to).order_by(OutboxMessage.id)


async def _as(client, email: str) -> None:
    client.cookies.clear()
    assert (await sign_in(client, email)).status_code == 302


def _url(ticket: Ticket, action: str = "") -> str:
    return f"/staff/tickets/{number_of(ticket.id)}{action}"


async def test_staff_and_admin_ticket_routes_are_closed_to_others(client, settings, people):
    staff_routes = list(_routes(client.app, "/staff/tickets"))
    admin_routes = list(_routes(client.app, "/admin/ticket-types"))
    assert len(staff_routes) >= 5 and len(admin_routes) >= 6
    for method, url in staff_routes + admin_routes:
        response = await _call(client, method, url)
        assert response.status_code == 302 and response.headers["location"].startswith("/login?next="), url
    await _as(client, "ann@example.com")
    for method, url in staff_routes + admin_routes:
        assert (await _call(client, method, url)).status_code == 404, f"{method} {url}"
    assert "/staff/tickets" not in (await client.get("/profile")).text
    await _as(client, "agent@example.com")
    for method, url in admin_routes:
        assert (await _call(client, method, url)).status_code == 403, f"{method} {url}"
    assert 'href="/staff/tickets"' in (await client.get("/profile")).text
    assert (await client.get("/staff/tickets/99999")).status_code == 404


async def test_the_queue_puts_the_nearest_deadline_first_flags_it_and_filters(client, settings, people):
    late = await _file(settings, people["ann"], "Printer on fire")
    soon = await _file(settings, people["ann"], "VPN drops", priority="high")
    calm = await _file(settings, people["ann"], "Question about invoices")
    now = datetime.now(UTC)
    await Ticket.update({Ticket.first_response_due: now - timedelta(hours=2)}).where(Ticket.id == late.id)
    await Ticket.update(
        {Ticket.first_response_due: now + timedelta(minutes=30), Ticket.first_response_warn_at: now}
    ).where(Ticket.id == soon.id)
    await Ticket.update({Ticket.first_response_due: now + timedelta(days=3)}).where(Ticket.id == calm.id)
    await _as(client, "agent@example.com")

    page = (await client.get("/staff/tickets")).text
    assert page.index("Printer on fire") < page.index("VPN drops") < page.index("Question about invoices")
    assert page.count("Reaction overdue") == 1 and page.count("Reaction due soon") == 1 and "Ann Customer" in page

    async def listed(**query) -> set[str]:
        text = (await client.get("/staff/tickets", params=query)).text
        return {s for s in ("Printer on fire", "VPN drops", "Question about invoices") if s in text}

    assert await listed(view="mine") == set()
    assert len(await listed(view="pool")) == 3
    assert (await post_form(client, _url(calm, "/assign"), {"agent": str(people["agent"].id)})).status_code == 302
    assert await listed(view="mine") == {"Question about invoices"}
    assert await listed(view="pool") == {"Printer on fire", "VPN drops"}
    assert await listed(priority="high") == {"VPN drops"}
    assert await listed(q="printer") == {"Printer on fire"}
    assert await listed(q=f"#{number_of(soon.id)}") == {"VPN drops"}
    assert await listed(type="question") == set() and len(await listed(type="incident")) == 3

    await post_form(client, _url(late, "/status"), {"target": "resolved"})
    assert await listed(view="all") == {"VPN drops", "Question about invoices"}
    assert await listed(view="all", status="resolved") == {"Printer on fire"}
    assert len(await listed(view="all", status="all")) == 3
    refused = await client.get("/staff/tickets", params={"view": "all", "status": "nonsense"})
    assert refused.status_code == 400 and "The queue does not know this value" in refused.text
    assert "(Status)" in refused.text


async def test_a_public_reply_is_mailed_and_counts_as_the_first_response(client, settings, people):
    ticket = await _file(settings, people["ann"])
    await _as(client, "agent@example.com")
    response = await post_form(
        client, _url(ticket, "/messages"), {"body": "Please update the **firmware**.", "visibility": "public"}
    )
    assert response.status_code == 302
    fresh = await _fresh(ticket)
    assert (
        fresh.first_responded_at is not None and fresh.status == "pending"
    )  # a public reply waits for the customer by default
    mail = await last_mail("ann@example.com")
    assert "Please update the firmware." in mail.body_text and "Alex Agent" in mail.body_text
    assert "<strong>firmware</strong>" in mail.body_html and "**" not in mail.body_text
    page = (await client.get(_url(ticket))).text
    assert (
        "<strong>firmware</strong>" in page
        and "Internal note" not in page.split('id="timeline-title"')[1].split('id="reply-title"')[0]
    )

    empty = await post_form(client, _url(ticket, "/messages"), {"body": "  ", "visibility": "public"})
    assert empty.status_code == 400 and "Write the message." in empty.text
    assert await Message.count().where(Message.ticket == ticket.id) == 1


async def test_an_internal_note_reaches_no_customer_and_is_marked_for_staff(client, settings, people):
    ticket = await _file(settings, people["ann"])
    await _as(client, "agent@example.com")
    before = len(await _mails("ann@example.com"))
    response = await post_form(
        client,
        _url(ticket, "/messages"),
        {"body": "Customer runs firmware 1.2; secret detail.", "visibility": "internal"},
    )
    assert response.status_code == 302
    assert len(await _mails("ann@example.com")) == before
    assert (await _fresh(ticket)).first_responded_at is None
    note = await Message.objects().where(Message.ticket == ticket.id).first()
    assert note.internal
    timeline = (await client.get(_url(ticket))).text.split('id="timeline-title"')[1].split('id="reply-title"')[0]
    assert "Internal note" in timeline and "secret detail" in timeline


async def test_status_moves_through_pending_to_resolved_and_wrong_moves_are_refused(client, settings, people):
    ticket = await _file(settings, people["ann"])
    await _as(client, "agent@example.com")
    reply = {"body": "Does it still happen?", "visibility": "public", "then": "pending"}
    assert (await post_form(client, _url(ticket, "/messages"), reply)).status_code == 302
    assert (await _fresh(ticket)).status == "pending"
    assert any("We need an answer from you" in m.body_text for m in await _mails("ann@example.com"))

    assert (await post_form(client, _url(ticket, "/status"), {"target": "resolved"})).status_code == 302
    assert (await _fresh(ticket)).status == "resolved"
    assert "/rate/" in (await last_mail("ann@example.com")).body_text
    events = await Event.select(Event.kind, Event.new).where(Event.ticket == ticket.id).order_by(Event.id)
    assert [(e["kind"], e["new"]) for e in events][-2:] == [("status", "pending"), ("status", "resolved")]

    refused = await post_form(client, _url(ticket, "/status"), {"target": "pending"})
    assert refused.status_code == 400 and "cannot move to this status" in refused.text
    assert (await post_form(client, _url(ticket, "/status"), {"target": "deleted"})).status_code == 400
    bad_then = await post_form(client, _url(ticket, "/messages"), {"body": "x", "then": "pending"})
    assert bad_then.status_code == 400 and "cannot move to this status" in bad_then.text
    assert (await _fresh(ticket)).status == "resolved"
    assert await Message.count().where(Message.ticket == ticket.id) == 1  # the refused reply was not kept


async def test_taking_and_assigning_a_ticket(client, settings, people):
    ticket = await _file(settings, people["ann"])
    await _as(client, "agent@example.com")
    assert (await post_form(client, _url(ticket, "/assign"), {"agent": str(people["agent"].id)})).status_code == 302
    assert (await _fresh(ticket)).assignee == people["agent"].id
    assert await _mails("agent@example.com") == []  # who takes a ticket needs no mail about it

    boris = people["other"]
    assert (await post_form(client, _url(ticket, "/assign"), {"agent": str(boris.id)})).status_code == 302
    assert (await _fresh(ticket)).assignee == boris.id
    mail = await last_mail("boris@example.com")
    assert f"#{number_of(ticket.id)} is assigned to you" in mail.body_text
    events = await Event.objects().where((Event.ticket == ticket.id) & (Event.kind == "assigned")).order_by(Event.id)
    assert [(e.new, e.public, e.actor) for e in events] == [
        (str(people["agent"].id), False, people["agent"].id),
        (str(boris.id), False, people["agent"].id),
    ]
    page = (await client.get(_url(ticket))).text
    assert "Assigned to Boris Supervisor" in page and "Staff only" in page

    await User.update({User.is_active: False}).where(User.id == boris.id)
    for agent in (str(people["ann"].id), str(boris.id), "nobody"):
        refused = await post_form(client, _url(ticket, "/assign"), {"agent": agent})
        assert refused.status_code == 400 and "Choose an active agent" in refused.text, agent


async def test_customer_text_is_escaped_on_the_staff_pages(client, settings, people):
    ticket = await _file(settings, people["ann"], f"Help {XSS}")
    await _as(client, "agent@example.com")
    await post_form(client, _url(ticket, "/messages"), {"body": f"Look: {XSS}", "visibility": "internal"})
    for page in (await client.get("/staff/tickets"), await client.get(_url(ticket))):
        assert page.status_code == 200
        assert XSS not in page.text and ESCAPED in page.text, page.url


async def _admin(client, settings) -> None:
    await create_user(settings, "root@example.com", Role.ADMIN, name="Root Admin")
    await _as(client, "root@example.com")


async def _type_by_slug(slug: str) -> TicketType:
    return await TicketType.objects().where(TicketType.slug == slug).first()


async def _active_slugs() -> set[str]:
    return {row["slug"] for row in await types.active_types()}


async def test_admins_add_rename_retire_and_restore_ticket_types(client, settings):
    await _admin(client, settings)
    assert "Ticket types" in (await client.get("/admin/ticket-types")).text
    added = await post_form(client, "/admin/ticket-types", {"slug": "billing", "name_en": "Billing", "name_ru": ""})
    assert added.status_code == 302
    billing = await _type_by_slug("billing")
    assert (billing.name_en, billing.name_ru, billing.active) == ("Billing", "Billing", True)
    assert "billing" in await _active_slugs()

    taken = await post_form(client, "/admin/ticket-types", {"slug": "Billing", "name_en": "Other"})
    assert taken.status_code == 400 and "already exists" in taken.text
    for form, message in [
        ({"slug": "two words", "name_en": "X"}, "lower-case letters"),
        ({"slug": "fine", "name_en": " "}, "Enter the type&#39;s English name"),
    ]:
        refused = await post_form(client, "/admin/ticket-types", form)
        assert refused.status_code == 400 and message in refused.text, form
    assert await TicketType.count().where(TicketType.slug.is_in(["fine", "two words"])) == 0

    renamed = await post_form(
        client, f"/admin/ticket-types/{billing.id}", {"name_en": "Billing and invoices", "name_ru": "Счета"}
    )
    assert renamed.status_code == 302
    assert (await _type_by_slug("billing")).name_ru == "Счета"
    assert "Billing and invoices" in (await client.get("/admin/ticket-types")).text

    assert (await post_form(client, f"/admin/ticket-types/{billing.id}/active", {"active": "0"})).status_code == 302
    assert "billing" not in await _active_slugs()
    with pytest.raises(TicketError):
        await types.check_type("billing")
    assert (await post_form(client, f"/admin/ticket-types/{billing.id}/active", {"active": "1"})).status_code == 302
    assert "billing" in await _active_slugs()
    assert (await client.get("/admin/ticket-types/9999/fields")).status_code == 404


async def test_admins_add_and_retire_custom_fields(client, settings):
    await _admin(client, settings)
    ann = await create_user(settings, "ann@example.com")
    question = await _type_by_slug("question")
    url = f"/admin/ticket-types/{question.id}/fields"
    form = {
        "key": "product",
        "label_en": "Product",
        "label_ru": "Продукт",
        "kind": "choice",
        "choices": "Hub\r\nRouter\r\n\r\nHub",
        "required": "1",
    }
    assert (await post_form(client, url, form)).status_code == 302
    field = await CustomField.objects().where(CustomField.key == "product").first()
    assert (field.kind, field.choices, field.required, field.active) == ("choice", "Hub\nRouter", True, True)
    assert "Router" in (await client.get(url)).text

    draft = NewTicket(type="question", subject="S", description="D")
    with pytest.raises(TicketError) as missing:
        await open_ticket(settings, ann, draft)
    assert missing.value.code == "field_required"
    with pytest.raises(TicketError):
        await open_ticket(
            settings, ann, NewTicket(type="question", subject="S", description="D", custom_fields={"product": "Fax"})
        )
    filed = await open_ticket(
        settings, ann, NewTicket(type="question", subject="S", description="D", custom_fields={"product": "Hub"})
    )
    await _as(client, "root@example.com")
    assert "Продукт" not in (page := (await client.get(_url(filed))).text) and "Product" in page and "Hub" in page

    for changes, message in [
        ({"key": "product"}, "already has a field with this key"),
        ({"key": "serial", "choices": " \n "}, "List the choices"),
        ({"key": "serial", "kind": "colour"}, "Choose the kind of field"),
        ({"key": "serial", "label_en": ""}, "Enter the field&#39;s English label"),
    ]:
        refused = await post_form(client, url, {**form, **changes})
        assert refused.status_code == 400 and message in refused.text, changes
    assert await CustomField.count() == 1

    assert (await post_form(client, f"{url}/{field.id}/active", {"active": "0"})).status_code == 302
    assert await open_ticket(settings, ann, draft)  # a retired field is no longer asked
    assert (await post_form(client, f"/admin/ticket-types/{question.id}/fields/9999/active", {})).status_code == 404


async def test_an_agent_changes_the_priority_and_the_deadlines_follow(client, settings, people):
    from portal.sla.levels import deadlines

    ticket = await _file(settings, people["ann"])
    opened = await _fresh(ticket)
    target = await deadlines("standard", "normal", opened.type, opened.created_at, "UTC", settings.holidays)
    # Three working hours spent waiting for the customer have pushed the resolution deadline.
    paused = target.calendar.add(target.resolution, timedelta(hours=3))
    await Ticket.update({Ticket.resolution_due: paused}).where(Ticket.id == ticket.id)
    await _as(client, "agent@example.com")

    wrong = await post_form(client, _url(ticket, "/priority"), {"priority": "whenever"})
    assert wrong.status_code == 400 and "Choose a priority" in wrong.text
    assert (await _fresh(ticket)).priority == "normal"

    changed = await post_form(client, _url(ticket, "/priority"), {"priority": "urgent"})
    assert changed.status_code == 302
    after = await _fresh(ticket)
    urgent = await deadlines("standard", "urgent", opened.type, opened.created_at, "UTC", settings.holidays)
    assert after.priority == "urgent" and after.first_response_due == urgent.first_response
    assert after.resolution_due == urgent.calendar.add(urgent.resolution, timedelta(hours=3))
    assert after.first_response_due < opened.first_response_due
    event = await Event.objects().where((Event.ticket == ticket.id) & (Event.kind == "priority")).first()
    assert (event.old, event.new, event.public) == ("normal", "urgent", True)
    await _as(client, "ann@example.com")
    assert "Priority changed from Normal to Urgent" in (await client.get(f"/tickets/{number_of(ticket.id)}")).text


async def test_an_agent_gives_a_ticket_back_to_the_queue(client, settings, people):
    ticket = await _file(settings, people["ann"])
    await _as(client, "agent@example.com")
    await post_form(client, _url(ticket, "/assign"), {"agent": str(people["agent"].id)})
    assert (await _fresh(ticket)).assignee == people["agent"].id
    back = await post_form(client, _url(ticket, "/assign"), {"agent": "none"})
    assert back.status_code == 302 and (await _fresh(ticket)).assignee is None
    assert "Unassigned: back to the queue" in (await client.get(_url(ticket))).text
    event = await Event.objects().where((Event.ticket == ticket.id) & (Event.kind == "unassigned")).first()
    assert event is not None and not event.public
    await _as(client, "ann@example.com")
    assert "Unassigned" not in (await client.get(f"/tickets/{number_of(ticket.id)}")).text
