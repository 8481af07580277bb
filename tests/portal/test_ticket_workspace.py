"""The staff ticket page's tools: answering with any knowledge-base article, files on replies and notes,
the default next status as the customer reads it, and changing the type, custom fields and organization."""

import pytest

from auth.tables import Organization, Role
from kb.tables import Article
from portal.tickets import types
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Attachment, CustomField, Event, Message, Ticket, TicketType
from portal.tickets.visibility import number_of
from tests.helpers import create_user, last_mail, post_form, sign_in
from tests.portal.test_kb_reader import publish
from tests.portal.test_tickets_customer_files import PNG


@pytest.fixture
async def people(settings):
    acme = Organization(name="Acme")
    await acme.save()
    return {
        "ann": await create_user(settings, "ann@example.com", name="Анна", locale="ru", organization_id=acme.id),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "org": acme,
    }


async def _ticket(settings, who, **answers: str) -> Ticket:
    draft = NewTicket(type="incident", subject="Printer jams", description="Paper stuck.", custom_fields=answers)
    return await open_ticket(settings, who, draft)


async def _fresh(ticket: Ticket) -> Ticket:
    return await Ticket.objects().where(Ticket.id == ticket.id).first()


async def _as(client, email: str) -> None:
    client.cookies.clear()
    assert (await sign_in(client, email)).status_code == 302


async def test_any_article_found_on_the_ticket_answers_it_in_the_customers_language(client, settings, people):
    ticket = await _ticket(settings, people["ann"])
    await publish(client, "Clearing a paper jam", "Open the tray.", translation_key="jam", slug="paper-jam")
    ru = await publish(client, "Замятие бумаги", "Откройте лоток.", locale="ru", translation_key="jam", slug="zamyatie")
    await Article.update({Article.summary: "Как вынуть застрявший лист."}).where(Article.id == ru.id)
    en_id = (await Article.select(Article.id).where(Article.slug == "paper-jam").first())["id"]
    await _as(client, "agent@example.com")
    number = number_of(ticket.id)
    found = (await client.get(f"/staff/tickets/{number}", params={"kb_q": "paper jam"})).text
    assert "Answer with this article" in found and ("Clearing a paper jam" in found or "Замятие" in found)

    answered = await post_form(client, f"/staff/tickets/{number}/answer", {"article": str(en_id)})
    assert answered.status_code == 302
    reply = await Message.objects().where(Message.ticket == ticket.id).first()
    assert not reply.internal and f"{settings.base_url}/kb/zamyatie" in reply.body
    assert "Эта статья" in reply.body and "Как вынуть застрявший лист." in reply.body
    assert (await _fresh(ticket)).status == "pending"
    assert "zamyatie" in (await last_mail("ann@example.com")).body_text


async def test_files_on_a_note_stay_with_staff_and_files_on_a_reply_reach_the_customer(client, settings, people):
    ticket = await _ticket(settings, people["ann"])
    number = number_of(ticket.id)
    await _as(client, "agent@example.com")
    url = f"/staff/tickets/{number}/messages"
    note = await post_form(
        client, url, {"body": "Log attached.", "visibility": "internal"}, files=[("attachments", ("secret.png", PNG))]
    )
    assert note.status_code == 302
    reply = await post_form(
        client, url, {"body": "See the picture.", "visibility": "public"}, files=[("attachments", ("howto.png", PNG))]
    )
    assert reply.status_code == 302
    refused = await post_form(client, url, {"body": "x"}, files=[("attachments", ("page.html", b"<html>"))])
    assert refused.status_code == 400 and "page.html" in refused.text
    rows = {r["filename"]: r["id"] for r in await Attachment.select(Attachment.filename, Attachment.id)}
    assert set(rows) == {"secret.png", "howto.png"}
    staff_page = (await client.get(f"/staff/tickets/{number}")).text
    assert "secret.png" in staff_page and "howto.png" in staff_page
    assert (await client.get(f"/tickets/{number}/files/{rows['secret.png']}")).status_code == 200

    await _as(client, "ann@example.com")
    page = (await client.get(f"/tickets/{number}")).text
    assert "howto.png" in page and "secret.png" not in page and "Log attached." not in page
    assert (await client.get(f"/tickets/{number}/files/{rows['howto.png']}")).content == PNG
    assert (await client.get(f"/tickets/{number}/files/{rows['secret.png']}")).status_code == 404


async def test_a_public_reply_waits_for_the_customer_and_says_so_a_note_keeps_the_status(client, settings, people):
    ticket = await _ticket(settings, people["ann"])
    number = number_of(ticket.id)
    await _as(client, "agent@example.com")
    form = (await client.get(f"/staff/tickets/{number}")).text.split('id="f-then"')[1].split("</select>")[0]
    assert 'value="auto" selected' in form
    await post_form(client, f"/staff/tickets/{number}/messages", {"body": "Looking.", "visibility": "internal"})
    assert (await _fresh(ticket)).status == "new"
    await post_form(client, f"/staff/tickets/{number}/messages", {"body": "Try this.", "visibility": "public"})
    assert (await _fresh(ticket)).status == "pending"
    kept = await post_form(client, f"/staff/tickets/{number}/messages", {"body": "More.", "then": "keep"})
    assert kept.status_code == 302 and (await _fresh(ticket)).status == "pending"

    await _as(client, "ann@example.com")  # she reads Russian
    for url in (f"/tickets/{number}", "/tickets"):
        page = (await client.get(url)).text
        assert "Получен ответ, ждём вас" in page and "Мы ответим до" not in page


async def test_a_type_change_moves_the_deadlines_and_is_a_staff_only_event(client, settings, people):
    ticket = await _ticket(settings, people["ann"])
    number = number_of(ticket.id)
    before = ticket.first_response_due
    await _as(client, "agent@example.com")
    assert (await post_form(client, f"/staff/tickets/{number}/type", {"type": "nonsense"})).status_code == 400
    moved = await post_form(client, f"/staff/tickets/{number}/type", {"type": "critical_incident"})
    assert moved.status_code == 302
    fresh = await _fresh(ticket)
    assert fresh.type == "critical_incident" and fresh.first_response_due < before
    event = await Event.objects().where((Event.ticket == ticket.id) & (Event.kind == "type")).first()
    assert (event.old, event.new, event.public) == ("incident", "critical_incident", False)
    await _as(client, "ann@example.com")
    assert "critical_incident" not in (await client.get(f"/tickets/{number}")).text


async def test_custom_fields_are_checked_as_at_filing(client, settings, people):
    incident = await TicketType.objects().where(TicketType.slug == "incident").first()
    await CustomField(ticket_type=incident.id, key="serial", label_en="Serial", kind="number", required=True).save()
    await CustomField(ticket_type=incident.id, key="model", label_en="Model", kind="choice", choices="A1\nB2").save()
    types.forget()
    ticket = await _ticket(settings, people["ann"], serial="7")
    number = number_of(ticket.id)
    await _as(client, "agent@example.com")
    url = f"/staff/tickets/{number}/fields"
    missing = await post_form(client, url, {"field_serial": "", "field_model": "A1"})
    assert missing.status_code == 400 and "required" in missing.text
    assert (await post_form(client, url, {"field_serial": "abc", "field_model": "A1"})).status_code == 400
    assert (await post_form(client, url, {"field_serial": "12", "field_model": "Z9"})).status_code == 400
    assert (await _fresh(ticket)).custom_fields in ('{"serial": "7"}', {"serial": "7"})
    saved = await post_form(client, url, {"field_serial": "12", "field_model": "B2"})
    assert saved.status_code == 302
    fields = (await _fresh(ticket)).custom_fields
    assert "12" in str(fields) and "B2" in str(fields)
    event = await Event.objects().where((Event.ticket == ticket.id) & (Event.kind == "fields")).first()
    assert event.new == "model, serial" and not event.public


async def test_the_organization_is_the_requesters_or_none(client, settings, people):
    other = Organization(name="Globex")
    await other.save()
    ticket = await _ticket(settings, people["ann"])
    number = number_of(ticket.id)
    await _as(client, "agent@example.com")
    url = f"/staff/tickets/{number}/organization"
    assert (await post_form(client, url, {"organization": str(other.id)})).status_code == 400
    assert (await post_form(client, url, {"organization": "none"})).status_code == 302
    assert (await _fresh(ticket)).organization is None
    assert (await post_form(client, url, {"organization": str(people["org"].id)})).status_code == 302
    assert (await _fresh(ticket)).organization == people["org"].id
    events = await Event.select(Event.old, Event.new).where(
        (Event.ticket == ticket.id) & (Event.kind == "organization")
    )
    assert [(e["old"], e["new"]) for e in events] == [("Acme", ""), ("", "Acme")]
