"""Staff see recurring questions, correct the grouping (kept across rebuilds), mark an article as the
answer, and answer a group's open ticket with it in one click."""

import json

from click.testing import CliRunner

from auth.tables import Role
from portal.cli import main
from portal.insights import recurring
from portal.insights.tables import Correction, GroupMember, TicketGroup
from portal.notify.tables import OutboxMessage
from portal.tickets import conversation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Message, Ticket
from portal.tickets.visibility import number_of
from portal.tickets.workflow import Status
from tests.helpers import create_user, post_form, sign_in
from tests.portal.test_kb_reader import publish

PASSWORD = [
    "How do I reset my password?",
    "I forgot my password, how can I reset it?",
    "Reset password: how do I do it?",
    "I need to reset my password",
]
INVOICE = [
    "Where can I download my invoice?",
    "How do I download an invoice for my order?",
    "I cannot find where to download the invoice",
]


async def _tickets(settings, customer, agent, subjects, *, resolve=True) -> list[Ticket]:
    made = []
    for subject in subjects:
        ticket = await open_ticket(settings, customer, NewTicket(type="question", subject=subject, description=subject))
        if resolve:
            await conversation.reply(settings, agent, ticket, "Use the link on the sign-in page.", then="resolved")
        made.append(ticket)
    return made


async def _group_of(ticket: Ticket) -> int | None:
    row = await GroupMember.select(GroupMember.group).where(GroupMember.ticket == ticket.id).first()
    return row["group"] if row else None


async def test_groups_are_listed_corrected_and_the_corrections_survive_a_rebuild(client, settings):
    customer = await create_user(settings, "ann@example.com")
    agent = await create_user(settings, "agent@example.com", Role.AGENT)
    password = await _tickets(settings, customer, agent, PASSWORD)
    invoice = await _tickets(settings, customer, agent, INVOICE)
    await _tickets(settings, customer, agent, ["My parcel arrived damaged, the box was crushed"])
    await recurring.rebuild()
    assert len({await _group_of(t) for t in password}) == 1 and await _group_of(password[0]) is not None
    assert len({await _group_of(t) for t in invoice}) == 1 and await _group_of(invoice[0]) is not None

    await sign_in(client, "agent@example.com")
    listing = (await client.get("/staff/insights")).text
    assert "password" in listing and "invoice" in listing and "parcel" not in listing
    password_group, invoice_group = await _group_of(password[0]), await _group_of(invoice[0])
    page = (await client.get(f"/staff/insights/groups/{password_group}")).text
    assert all(f"#{number_of(t.id)}" in page for t in password) and "Draft an article" in page

    moved = await post_form(
        client, f"/staff/insights/groups/{password_group}/detach", {"ticket": str(number_of(password[3].id))}
    )
    assert moved.status_code == 302 and await _group_of(password[3]) is None
    await recurring.rebuild()
    password_group = await _group_of(password[0])
    assert await _group_of(password[3]) != password_group

    wrong = await post_form(client, f"/staff/insights/groups/{password_group}/merge", {"other": "nonsense"})
    assert wrong.status_code == 400 and "another existing group" in wrong.text
    merged = await post_form(client, f"/staff/insights/groups/{password_group}/merge", {"other": str(invoice_group)})
    assert merged.status_code == 302 and await _group_of(invoice[0]) == password_group
    await recurring.rebuild()
    assert await _group_of(invoice[0]) == await _group_of(password[0])
    assert {c["kind"] for c in await Correction.select(Correction.kind)} == {"merge", "detach"}
    assert await _group_of(password[3]) != await _group_of(password[0])


async def test_an_article_marked_as_the_answer_sinks_the_group_and_answers_its_open_tickets(client, settings):
    customer = await create_user(settings, "ann@example.com", locale="ru")
    agent = await create_user(settings, "agent@example.com", Role.AGENT)
    password = await _tickets(settings, customer, agent, PASSWORD[:3])
    invoice = await _tickets(settings, customer, agent, INVOICE)
    waiting = (await _tickets(settings, customer, agent, ["How can I reset my password?"], resolve=False))[0]
    article = await publish(client, "Reset your password", "Open **Sign in** and choose *Forgot password*.")
    await recurring.rebuild()
    group = await _group_of(password[0])
    assert group is not None and await _group_of(waiting) == group

    await sign_in(client, "agent@example.com")
    page = (await client.get(f"/staff/insights/groups/{group}")).text
    assert "Reset your password" in page  # the closest article, offered for confirmation
    marked = await post_form(client, f"/staff/insights/groups/{group}/covered", {"slug": article.slug})
    assert marked.status_code == 302
    listing = (await client.get("/staff/insights")).text
    assert listing.index("invoice") < listing.index("Reset your password")  # the answered group sinks

    ticket_page = (await client.get(f"/staff/tickets/{number_of(waiting.id)}")).text
    assert "Answer with this article" in ticket_page
    answered = await post_form(client, f"/staff/tickets/{number_of(waiting.id)}/answer", {"article": str(article.id)})
    assert answered.status_code == 302
    reply = await Message.objects().where(Message.ticket == waiting.id).order_by(Message.id, ascending=False).first()
    assert f"{settings.base_url}/kb/{article.slug}" in reply.body and not reply.internal
    assert "Эта статья" in reply.body  # in the customer's language
    mail = (
        await OutboxMessage.objects()
        .where(OutboxMessage.to_address == "ann@example.com")
        .order_by(OutboxMessage.id, ascending=False)
        .first()
    )
    assert article.slug in mail.body_text
    unknown = await post_form(client, f"/staff/tickets/{number_of(invoice[0].id)}/answer", {"article": "999999"})
    assert unknown.status_code == 400  # no such published article


async def test_customers_find_no_trace_of_groups(client, settings):
    customer = await create_user(settings, "ann@example.com")
    agent = await create_user(settings, "agent@example.com", Role.AGENT)
    tickets = await _tickets(settings, customer, agent, PASSWORD)
    await recurring.rebuild()
    group = await _group_of(tickets[0])
    await sign_in(client, "ann@example.com")
    for url in ("/staff/insights", f"/staff/insights/groups/{group}", f"/staff/insights/groups/{group}/draft"):
        assert (await client.get(url)).status_code == 404, url
    for action, data in (("detach", {"ticket": str(number_of(tickets[0].id))}), ("merge", {"other": "1"})):
        assert (await post_form(client, f"/staff/insights/groups/{group}/{action}", data)).status_code == 404
    assert "Recurring questions" not in (await client.get(f"/tickets/{number_of(tickets[0].id)}")).text
    assert await GroupMember.count() == len(tickets)


def _cli(settings, monkeypatch, *args):
    monkeypatch.setenv("PORTAL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PORTAL_DATABASE_URL", settings.database_url)
    return CliRunner().invoke(main, list(args))


async def test_ticket_history_is_imported_grouped_and_printed_for_scoring(settings, tmp_path, monkeypatch):
    import asyncio

    rows = [
        {"id": f"pw-{i}", "text": text, "intent": "password", "response": "Use the link."}
        for i, text in enumerate(PASSWORD)
    ]
    rows += [{"id": f"inv-{i}", "text": text, "intent": "invoice"} for i, text in enumerate(INVOICE)]
    path = tmp_path / "tickets.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    imported = await asyncio.to_thread(_cli, settings, monkeypatch, "insights", "import-tickets", str(path))
    assert imported.exit_code == 0, imported.output
    assert "Imported 7 tickets" in imported.output
    again = await asyncio.to_thread(_cli, settings, monkeypatch, "insights", "import-tickets", str(path))
    assert "Imported 0 tickets; 7 were already there" in again.output and await Ticket.count() == 7
    stored = await Ticket.objects().where(Ticket.external_ref == "pw-0").first()
    assert stored.status == Status.CLOSED and stored.description == PASSWORD[0]
    assert (stored.seconds_new, stored.status_since) == (0, stored.closed_at)  # closed as it was filed
    assert await Message.count().where(Message.ticket == stored.id) == 1

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x1", "text": "fine"}\n{"text": "no id"}\n', encoding="utf-8")
    refused = await asyncio.to_thread(_cli, settings, monkeypatch, "insights", "import-tickets", str(bad))
    assert refused.exit_code != 0 and "line 2" in refused.output and await Ticket.count() == 7

    rebuilt = await asyncio.to_thread(_cli, settings, monkeypatch, "insights", "rebuild")
    assert rebuilt.exit_code == 0 and "Grouped 7 tickets" in rebuilt.output
    printed = await asyncio.to_thread(_cli, settings, monkeypatch, "insights", "groups", "--format", "json")
    groups = json.loads(printed.output)["groups"]
    assert sorted(sorted(g["tickets"]) for g in groups) == [
        [f"inv-{i}" for i in range(3)],
        [f"pw-{i}" for i in range(4)],
    ]
    assert await TicketGroup.count() == 2
