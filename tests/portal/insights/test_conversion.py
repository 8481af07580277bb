"""A resolved ticket becomes an article: the scrubbed draft, review, publishing, search, deflection, provenance."""

import html
import re

from auth.tables import Role
from kb.tables import Article, Status
from portal.insights.tables import ArticleSource
from portal.tickets import conversation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.visibility import number_of
from portal.tickets.workflow import Status as TicketStatus
from tests.helpers import create_user, post_form, sign_in

DESCRIPTION = (
    "Hello, I paid for order 3707955617 a week ago and asked to cancel it the same day, but the refund "
    "never arrived. My email is anna.petrova@example.org and my phone is +1-202-555-0143. Anna Petrova"
)
FIRST_REPLY = "Hi Anna, we are looking into it."
RESOLUTION = (
    "Hi Anna, refunds for cancelled orders go back to the card you paid with within 5 business days. "
    "If it has not arrived by then, open **Orders → Refunds** and press *Trace refund*. Regards, Oleg Smirnov"
)


def _field(page: str, name: str) -> str:
    textarea = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
    if textarea:
        return html.unescape(textarea.group(1))
    value = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    return html.unescape(value.group(1)) if value else ""


def _selected(page: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return chosen.group(1) if chosen else ""


async def _resolved_ticket(settings):
    customer = await create_user(settings, "anna.petrova@example.org", name="Anna Petrova")
    agent = await create_user(settings, "oleg@example.com", Role.AGENT, name="Oleg Smirnov")
    draft = NewTicket(type="question", subject="Refund for order 3707955617 never arrived", description=DESCRIPTION)
    ticket = await open_ticket(settings, customer, draft)
    await conversation.reply(settings, agent, ticket, FIRST_REPLY)
    await conversation.reply(settings, agent, ticket, RESOLUTION, then=TicketStatus.RESOLVED.value)
    return ticket


async def test_a_resolved_ticket_becomes_a_published_article_that_deflects_the_next_request(client, settings):
    ticket = await _resolved_ticket(settings)
    number = number_of(ticket.id)
    await sign_in(client, "oleg@example.com")
    assert "Turn into article" in (await client.get(f"/staff/tickets/{number}")).text

    page = (await client.get(f"/staff/tickets/{number}/article")).text
    title, body = _field(page, "title"), _field(page, "body")
    assert "Refund for order" in title and "3707955617" not in title
    assert "Problem" in body and "Solution" in body and "Cause" in body
    assert "refund" in body and "Trace refund" in body  # the chosen (last) reply is the solution
    assert FIRST_REPLY not in body
    for personal in ("Anna", "Petrova", "anna.petrova@example.org", "555-0143", "3707955617", "Oleg", "Smirnov"):
        assert personal not in title + body, personal
    review = page[page.index("Personal data removed") :]
    assert "anna.petrova@example.org" in review and "3707955617" in review  # each span shown for review

    both = await client.get(f"/staff/tickets/{number}/article", params=[("reply", m) for m in await _reply_ids(ticket)])
    assert "we are looking into it" in _field(both.text, "body")

    form = {
        "title": title,
        "slug": "",
        "locale": _selected(page, "locale"),
        "category": _selected(page, "category"),
        "tags": "refunds",
        "summary": "",
        "body": body,
        "translation_key": "",
        "sources": _field(page, "sources"),
        "action": "save",
    }
    saved = await post_form(client, f"/staff/tickets/{number}/article", form)
    assert saved.status_code == 302 and "done=article_drafted" in saved.headers["location"]
    article = await Article.objects().where(Article.title == title).first()
    assert article.status == Status.DRAFT
    assert [r["ticket"] for r in await ArticleSource.select()] == [ticket.id]

    staff_page = (await client.get(f"/staff/kb/{article.id}")).text
    assert "Written from 1 ticket" in staff_page and f"#{number}" in staff_page
    assert (await client.get("/api/kb/search", params={"q": "refund cancelled order"})).json()["total"] == 0

    for target in ("review", "published"):
        moved = await post_form(client, f"/staff/kb/{article.id}/status", {"target": target})
        assert moved.status_code == 302
    found = (await client.get("/api/kb/search", params={"q": "refund for a cancelled order"})).json()
    assert found["results"][0]["slug"] == article.slug

    client.cookies.clear()
    await create_user(settings, "ivan@example.com", name="Ivan")
    await sign_in(client, "ivan@example.com")
    key = re.search(r'name="form_key" value="([0-9a-f]{32})"', (await client.get("/tickets/new")).text).group(1)
    step = await post_form(
        client,
        "/tickets",
        {
            "form_key": key,
            "type": "question",
            "priority": "normal",
            "subject": "My refund never arrived",
            "description": "I cancelled the order but got no refund.",
            "action": "check",
        },
    )
    assert step.status_code == 200 and html.escape(article.title) in step.text
    # Provenance and drafts are for staff only: a customer finds no such pages.
    assert (await client.get(f"/staff/kb/{article.id}")).status_code == 404
    assert (await client.get(f"/staff/tickets/{number}/article")).status_code == 404


async def _reply_ids(ticket) -> list[int]:
    from portal.tickets.tables import Message

    rows = await Message.select(Message.id).where(Message.ticket == ticket.id).order_by(Message.id)
    return [r["id"] for r in rows]


async def test_only_a_resolved_ticket_can_be_turned_into_an_article(client, settings):
    customer = await create_user(settings, "ann@example.com")
    await create_user(settings, "agent@example.com", Role.AGENT)
    ticket = await open_ticket(settings, customer, NewTicket(type="question", subject="Help", description="Please."))
    await sign_in(client, "agent@example.com")
    refused = await client.get(f"/staff/tickets/{number_of(ticket.id)}/article")
    assert refused.status_code == 400 and "Only a resolved ticket" in refused.text
    assert "Turn into article" not in (await client.get(f"/staff/tickets/{number_of(ticket.id)}")).text
    assert await Article.count() == 0


async def test_a_bad_draft_is_refused_with_the_form_kept_and_nothing_saved(client, settings):
    ticket = await _resolved_ticket(settings)
    number = number_of(ticket.id)
    await sign_in(client, "oleg@example.com")
    form = {"title": "", "locale": "en", "body": "Text", "sources": f"{ticket.id},999999,abc", "action": "save"}
    refused = await post_form(client, f"/staff/tickets/{number}/article", form)
    assert refused.status_code == 400 and 'name="sources"' in refused.text
    assert await Article.count() == 0 and await ArticleSource.count() == 0
    saved = await post_form(client, f"/staff/tickets/{number}/article", {**form, "title": "Refunds"})
    assert saved.status_code == 302
    # Unknown ticket ids in the hidden field are dropped, not stored.
    assert [r["ticket"] for r in await ArticleSource.select()] == [ticket.id]


async def test_the_draft_takes_the_category_of_the_closest_articles(client, settings):
    from tests.portal.test_kb_reader import publish

    await publish(client, "Refunds for cancelled orders", "A refund goes back to your card.", category="orders")
    await publish(client, "Change your password", "Open your profile.", category="accounts")
    ticket = await _resolved_ticket(settings)
    await sign_in(client, "oleg@example.com")
    page = (await client.get(f"/staff/tickets/{number_of(ticket.id)}/article")).text
    assert _selected(page, "category") == "orders" and _selected(page, "locale") == "en"
