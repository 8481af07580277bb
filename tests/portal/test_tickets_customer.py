"""Customers file and follow tickets: the form, deflection to articles, My tickets, the ticket page, IDOR."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from auth import organizations
from auth.tables import Organization, Role, SupportPlan
from kb.tables import Deflection
from portal.notify.tables import OutboxMessage
from portal.tickets import attachments, conversation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Attachment, CustomField, Message, Ticket, TicketType
from portal.tickets.visibility import number_of
from tests.helpers import create_user, csrf_token, last_mail, post_form, sign_in
from tests.portal.test_kb_reader import publish


async def signed_in(client, settings, email="ann@example.com", **kwargs):
    user = await create_user(settings, email, **kwargs)
    assert (await sign_in(client, email)).status_code == 302
    return user


async def form_key(client, url="/tickets/new") -> str:
    page = await client.get(url)
    assert page.status_code == 200
    return re.search(r'name="form_key" value="([0-9a-f]{32})"', page.text).group(1)


async def send(client, key, files=None, **fields):
    data = {
        "form_key": key,
        "type": "question",
        "priority": "normal",
        "subject": "Invoice 42 is missing",
        "description": "I cannot find **invoice** 42.",
        "action": "file",
        **fields,
        "_csrf_token": await csrf_token(client),
    }
    return await client.post("/tickets", data=data, files=files)


async def stored_file(settings, ticket_id, message_id=None, name="notes.txt") -> Attachment:
    """An attachment whose file really is in the store: a 404 then means "not yours", not "missing"."""
    content = f"contents of {name} on {ticket_id}".encode()
    digest = hashlib.sha256(content).hexdigest()
    path = attachments.path_of(settings.data_dir, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    row = Attachment(
        ticket=ticket_id, message=message_id, filename=name, content_type="text/plain", size=len(content), sha256=digest
    )
    await row.save()
    return row


async def ticket_of(settings, user, subject="Router keeps rebooting", **changes) -> Ticket:
    draft = NewTicket(type="incident", subject=subject, description="Since Monday.", **changes)
    return await open_ticket(settings, user, draft)


async def test_filing_shows_the_number_and_the_promise_and_mails_a_receipt(client, settings):
    await signed_in(client, settings)
    response = await send(client, await form_key(client), action="check")  # no article matches: filed at once
    assert response.status_code == 302
    ticket = await Ticket.objects().first()
    number = number_of(ticket.id)
    assert response.headers["location"] == f"/tickets/{number}?done=ticket_filed"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert f"#{number}" in page.text and "Your request is filed" in page.text and "We will answer by" in page.text
    assert "<strong>invoice</strong>" in page.text
    assert (await last_mail("ann@example.com")).subject == f"[#{number}] Invoice 42 is missing"


async def test_the_same_form_sent_twice_files_one_ticket(client, settings):
    await signed_in(client, settings)
    key = await form_key(client)
    first, second = await send(client, key), await send(client, key)
    assert first.headers["location"] == second.headers["location"]
    assert await Ticket.count() == 1
    assert await OutboxMessage.count().where(OutboxMessage.subject.like("[#%")) == 1


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"subject": "  "}, "Enter a subject"),
        ({"description": ""}, "Describe your request"),
        ({"type": "nonsense"}, "Choose what the request is about"),
        ({"priority": "urgent"}, "Your support plan does not include this priority"),
    ],
)
async def test_invalid_input_is_shown_again_with_the_reason_and_nothing_is_written(client, settings, fields, text):
    await signed_in(client, settings)
    for action in ("check", "file"):
        response = await send(client, await form_key(client), **fields, action=action)
        assert response.status_code == 400 and text in response.text
    assert await Ticket.count() == 0 and await OutboxMessage.count() == 0


async def test_premium_customers_may_choose_urgent(client, settings):
    org = await organizations.create("Acme", SupportPlan.PREMIUM)
    await signed_in(client, settings, organization_id=org.id)
    assert 'value="urgent"' in (await client.get("/tickets/new")).text
    assert (await send(client, await form_key(client), priority="urgent")).status_code == 302
    assert (await Ticket.objects().first()).priority == "urgent"


async def test_the_types_custom_fields_are_asked_and_required(client, settings):
    await signed_in(client, settings)
    question = await TicketType.objects().where(TicketType.slug == "question").first()
    await CustomField(
        ticket_type=question.id,
        key="invoice",
        label_en="Invoice number",
        label_ru="Номер счёта",
        kind="number",
        required=True,
    ).save()
    assert "Invoice number" in (await client.get("/tickets/new?type=question")).text
    assert "Invoice number" not in (await send(client, await form_key(client), type="incident", action="fields")).text
    fragment = await client.get("/tickets/new/fields", params={"type": "question"})
    assert 'name="field_invoice"' in fragment.text and "<html" not in fragment.text
    missing = await send(client, await form_key(client))
    assert missing.status_code == 400 and "Fill in every field marked as required" in missing.text
    wrong = await send(client, await form_key(client), field_invoice="forty-two")
    assert wrong.status_code == 400 and "Enter a number" in wrong.text
    assert await Ticket.count() == 0
    filed = await send(client, await form_key(client), field_invoice="42")
    page = await client.get(filed.headers["location"])
    assert "Invoice number" in page.text and "<dd>42</dd>" in page.text


async def test_preview_renders_markdown_safely_and_saves_nothing(client, settings):
    await signed_in(client, settings)
    shown = await send(
        client, await form_key(client), description="**Bold** <script>alert(1)</script>", action="preview"
    )
    assert shown.status_code == 200 and "<strong>Bold</strong>" in shown.text
    assert "<script>alert(1)" not in shown.text
    assert await Ticket.count() == 0


async def test_articles_come_first_and_a_solved_problem_files_nothing(client, settings):
    article = await publish(client, "Reset a forgotten password", "Open **Sign in** and choose Forgot password.")
    await signed_in(client, settings)
    key = await form_key(client, "/tickets/new?q=forgotten+password")
    step = await send(client, key, subject="I forgot my password", description="Cannot sign in.", action="check")
    assert step.status_code == 200 and "Reset a forgotten password" in step.text
    assert "File my ticket anyway" in step.text and await Ticket.count() == 0
    link = re.search(r'href="(/kb/reset-a-forgotten-password\?[^"]+)"', step.text).group(1).replace("&amp;", "&")
    assert f"deflect={key}" in link
    page = await client.get(link)
    assert "This solved my problem" in page.text
    assert "This solved my problem" not in (await client.get("/kb/reset-a-forgotten-password")).text
    for _ in range(2):  # pressed twice: one record
        thanks = await post_form(client, "/kb/reset-a-forgotten-password/solved", {"form_key": key, "q": "forgot"})
        assert thanks.status_code == 200 and "did not file a ticket" in thanks.text
    deflections = await Deflection.select()
    assert len(deflections) == 1 and deflections[0]["article"] == article.id and deflections[0]["form_key"] == key
    assert deflections[0]["user"] is not None and await Ticket.count() == 0
    anyway = await send(client, key, subject="I forgot my password", description="Cannot sign in.", action="file")
    assert anyway.status_code == 302 and await Ticket.count() == 1


async def test_my_tickets_filters_and_search(client, settings):
    ann = await signed_in(client, settings)
    bob = await create_user(settings, "bob@example.com")
    agent = await create_user(settings, "agent@example.com", Role.AGENT)
    printer = await ticket_of(settings, ann, "Printer jams on page two")
    invoice = await open_ticket(settings, ann, NewTicket(type="question", subject="Invoice missing", description="D"))
    await ticket_of(settings, bob, "Bob's secret trouble")
    await conversation.reply(settings, agent, printer, "Which tray?", then="pending")

    everything = (await client.get("/tickets")).text
    assert "Printer jams" in everything and "Invoice missing" in everything and "secret trouble" not in everything
    waiting = (await client.get("/tickets", params={"status": "waiting"})).text
    assert "Printer jams" in waiting and "Invoice missing" not in waiting
    opened = (await client.get("/tickets", params={"status": "open"})).text
    assert "Printer jams" not in opened and "Invoice missing" in opened
    assert "Printer jams" not in (await client.get("/tickets", params={"type": "question"})).text
    by_words = (await client.get("/tickets", params={"q": "invoice"})).text
    assert "Invoice missing" in by_words and "Printer jams" not in by_words
    by_number = (await client.get("/tickets", params={"q": f"#{number_of(printer.id)}"})).text
    assert "Printer jams" in by_number and "Invoice missing" not in by_number
    assert number_of(invoice.id) > 1000


async def test_the_organization_tab_appears_only_when_it_shares_tickets(client, settings):
    org = await organizations.create("Acme", SupportPlan.STANDARD)
    await signed_in(client, settings, organization_id=org.id)
    colleague = await create_user(settings, "carl@example.com", organization_id=org.id)
    await ticket_of(settings, colleague, "Carl's broken laptop")
    page = (await client.get("/tickets", params={"tab": "organization"})).text
    assert "My organization&#39;s tickets" not in page and "broken laptop" not in page
    await Organization.update({Organization.shares_tickets: True}).where(Organization.id == org.id)
    assert "My organization&#39;s tickets" in (await client.get("/tickets")).text
    assert "broken laptop" not in (await client.get("/tickets")).text
    shared = (await client.get("/tickets", params={"tab": "organization"})).text
    assert "broken laptop" in shared and "Carl" in shared


async def test_another_customers_ticket_is_absent_from_every_route(client, settings):
    bob = await create_user(settings, "bob@example.com")
    ticket = await ticket_of(settings, bob, "Bob's private problem")
    attachment = await stored_file(settings, ticket.id)
    ann = await signed_in(client, settings)
    own = await ticket_of(settings, ann)
    own_file = await stored_file(settings, own.id)
    assert (await client.get(f"/tickets/{number_of(own.id)}/files/{own_file.id}")).status_code == 200
    number = number_of(ticket.id)
    assert (await client.get(f"/tickets/{number}")).status_code == 404
    assert (await client.get(f"/tickets/{number}/files/{attachment.id}")).status_code == 404
    for path, data in [("messages", {"body": "hijack"}), ("close", {}), ("rating", {"score": "1"})]:
        assert (await post_form(client, f"/tickets/{number}/{path}", data)).status_code == 404, path
    assert (await client.get("/tickets/999999")).status_code == 404
    fresh = await Ticket.objects().where(Ticket.id == ticket.id).first()
    assert fresh.status == "new" and await Message.count() == 0


async def test_internal_notes_never_reach_the_page_and_staff_replies_do(client, settings):
    ann = await signed_in(client, settings)
    agent = await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent")
    ticket = await ticket_of(settings, ann)
    note = await conversation.reply(settings, agent, ticket, "Secret detail: old firmware.", internal=True)
    hidden = await stored_file(settings, ticket.id, note.id, "notes.txt")
    await conversation.reply(settings, agent, ticket, "Please **update** the firmware.")
    page = (await client.get(f"/tickets/{number_of(ticket.id)}")).text
    assert "<strong>update</strong>" in page and "Alex Agent" in page
    assert "Secret detail" not in page and "notes.txt" not in page
    note_file = f"/tickets/{number_of(ticket.id)}/files/{hidden.id}"
    assert (await client.get(note_file)).status_code == 404
    client.cookies.clear()
    await sign_in(client, "agent@example.com")
    assert (await client.get(note_file)).status_code == 200  # staff pages link the same download


async def test_a_reply_reopens_a_pending_ticket_and_the_customer_closes_it(client, settings):
    ann = await signed_in(client, settings)
    agent = await create_user(settings, "agent@example.com", Role.AGENT)
    ticket = await ticket_of(settings, ann)
    await conversation.reply(settings, agent, ticket, "Which model?", then="pending")
    number = number_of(ticket.id)
    empty = await post_form(client, f"/tickets/{number}/messages", {"body": "  "})
    assert empty.status_code == 400 and "Write the message." in empty.text
    replied = await post_form(client, f"/tickets/{number}/messages", {"body": "The *X200*."})
    assert replied.status_code == 302
    assert (await Ticket.objects().where(Ticket.id == ticket.id).first()).status == "open"
    page = (await client.get(replied.headers["location"])).text
    assert "<em>X200</em>" in page and "Your reply is added" in page
    closed = await post_form(client, f"/tickets/{number}/close", {})
    assert closed.status_code == 302
    assert (await Ticket.objects().where(Ticket.id == ticket.id).first()).status == "closed"
    page = (await client.get(closed.headers["location"])).text
    assert "closed for replies" in page and f"/tickets/new?related={number}" in page


async def test_a_ticket_resolved_long_ago_asks_for_a_new_one(client, settings):
    ann = await signed_in(client, settings)
    ticket = await ticket_of(settings, ann)
    long_ago = datetime.now(UTC) - timedelta(days=15)
    await Ticket.update({Ticket.status: "resolved", Ticket.resolved_at: long_ago, Ticket.resolutions: 1}).where(
        Ticket.id == ticket.id
    )
    number = number_of(ticket.id)
    page = (await client.get(f"/tickets/{number}")).text
    assert "closed for replies" in page and f"/tickets/new?related={number}" in page and 'name="body"' not in page
    refused = await post_form(client, f"/tickets/{number}/messages", {"body": "Still broken"})
    assert refused.status_code == 400 and "more than 14 days" not in refused.text and "over 14 days" in refused.text
    follow_up = await client.get(f"/tickets/new?related={number}")
    assert f"follows up ticket #{number}" in follow_up.text
