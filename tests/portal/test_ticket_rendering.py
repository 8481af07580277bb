"""A ticket's Markdown is rendered once, when written (or at the first view of rows written before),
stored beside the text and served from there; raw HTML never passes; crafted Markdown stays bounded."""

from auth.tables import Role
from kb import markdown
from portal.tickets import conversation, rendering
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Message, Ticket
from portal.tickets.visibility import number_of
from tests.helpers import create_user, sign_in


async def _ticket(settings, ann, description="I cannot find **invoice** 42."):
    ticket = await open_ticket(settings, ann, NewTicket(type="question", subject="Invoice", description=description))
    await conversation.reply(settings, ann, ticket, "Here is _more_ about it.")
    return ticket


async def test_views_serve_the_html_stored_when_written(client, settings, monkeypatch):
    ann = await create_user(settings, "ann@example.com")
    await create_user(settings, "bob@example.com", Role.AGENT)
    ticket = await _ticket(settings, ann)
    stored = await Message.select(Message.body_html).first()
    assert stored["body_html"] == "<p>Here is <em>more</em> about it.</p>\n"
    assert (await Ticket.select(Ticket.description_html).first())["description_html"].startswith(
        "<p>I cannot find <strong>invoice</strong> 42.</p>"
    )

    def broken(_text):
        raise AssertionError("a page view rendered Markdown")

    monkeypatch.setattr(rendering, "render", broken)  # any render from here on fails the page
    number = number_of(ticket.id)
    for email, url in (("ann@example.com", f"/tickets/{number}"), ("bob@example.com", f"/staff/tickets/{number}")):
        client.cookies.clear()
        await sign_in(client, email)
        for _ in range(2):
            page = await client.get(url)
            assert page.status_code == 200, page.text
            assert "<em>more</em>" in page.text and "<strong>invoice</strong>" in page.text


async def test_rows_without_html_are_rendered_once_at_their_first_view(client, settings):
    """Rows from before the column existed (or from an import) get their HTML at the first view, once."""
    ann = await create_user(settings, "ann@example.com")
    ticket = await _ticket(settings, ann)
    await Message.update({Message.body_html: None}, force=True)
    await Ticket.update({Ticket.description_html: None}, force=True)
    await sign_in(client, "ann@example.com")
    before = rendering.renders
    for _ in range(3):
        page = await client.get(f"/tickets/{number_of(ticket.id)}")
        assert "<em>more</em>" in page.text and "<strong>invoice</strong>" in page.text
    assert rendering.renders == before + 2  # the description and the message, at the first view only
    assert (await Message.select(Message.body_html).first())["body_html"] == "<p>Here is <em>more</em> about it.</p>\n"
    assert (await Ticket.select(Ticket.description_html).first())["description_html"] is not None


async def test_raw_html_in_a_message_is_stored_and_shown_as_text(client, settings):
    ann = await create_user(settings, "ann@example.com")
    ticket = await _ticket(settings, ann, description='<script>alert("x")</script> <img src=x onerror=alert(1)>')
    await conversation.reply(settings, ann, ticket, "<b onclick=alert(2)>bold</b>")
    stored = [row["body_html"] for row in await Message.select(Message.body_html)]
    description = (await Ticket.select(Ticket.description_html).first())["description_html"]
    assert "&lt;script&gt;" in description and "<script" not in description and "<img" not in description
    assert "&lt;b onclick" in stored[-1] and "<b " not in stored[-1]
    await sign_in(client, "ann@example.com")
    page = await client.get(f"/tickets/{number_of(ticket.id)}")
    assert "&lt;script&gt;alert" in page.text and '<script>alert("x")' not in page.text


def _depth(html: str, tag: str) -> int:
    depth = deepest = 0
    for part in html.split("<")[1:]:
        if part.startswith(tag + ">") or part.startswith(tag + " "):
            depth += 1
            deepest = max(deepest, depth)
        elif part.startswith("/" + tag + ">"):
            depth -= 1
    return deepest


def test_nesting_is_capped():
    quotes = markdown.render(">" * 5000 + " deep").html
    assert 1 < _depth(quotes, "blockquote") <= markdown.MAX_NESTING
    lists = markdown.render("".join("  " * i + "- item\n" for i in range(200))).html
    assert 1 < _depth(lists, "ul") <= markdown.MAX_NESTING
    emphasis = markdown.render("*a " * 200 + "b" + "* " * 200).html
    assert _depth(emphasis, "em") <= markdown.MAX_NESTING


def test_past_the_markup_budget_the_rest_is_plain_text():
    links = "".join(f"[link {n}](https://example.com/{n})\n\n" for n in range(3))
    crafted = "[" * 20_000
    html = markdown.render(links + crafted).html
    assert html.count("<a href") == 3  # what came within the budget is Markdown as usual
    assert "[" * 19_000 in html  # the unclosed brackets are text
    many = markdown.render("[x](/y)\n\n" * (markdown.MAX_BRACKETS + 100)).html
    assert many.count("<a href") == markdown.MAX_BRACKETS
    assert many.count("[x](/y)") == 100
    assert markdown.render("*a" * 10_000).html.count("<em>") == 0  # far past the markers' budget


def test_many_alike_headings_get_distinct_anchors():
    html = markdown.render("# Step\n" * 3000).html
    assert 'id="step"' in html and 'id="step-1"' in html and 'id="step-2999"' in html
    assert html.count(' id="') == 3000
