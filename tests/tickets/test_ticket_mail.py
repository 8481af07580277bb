"""Ticket mail as a mail client shows it: threaded, an HTML part from the sanitised Markdown with
absolute links, a text part without markup, one mail for an answer and its status change."""

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from auth.tables import Role
from portal.notify import sender
from portal.notify.tables import OutboxMessage
from portal.tickets import conversation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.mail import read_message_ids, thread_root
from portal.tickets.visibility import number_of
from tests.helpers import create_user
from tests.portal.test_outbox import free_port

FROM = "Support <support@portal.test>"
ANSWER = """Please **update the firmware** first: see [the guide](/kb/en/firmware-update).

<script>alert("x")</script>

- unplug it
- wait `30 s`
"""


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages: list[EmailMessage] = []

    def handle_message(self, message):
        self.messages.append(message_from_bytes(message.as_bytes(), policy=policy.default))


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    yield sender.SmtpTransport(f"smtp://127.0.0.1:{port}"), inbox
    server.stop()


@pytest.fixture
async def people(settings):
    return {
        "ann": await create_user(settings, "ann@example.com", name="Ann"),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Boris Agent"),
    }


async def test_an_answer_that_resolves_is_one_mail_that_reads_well_in_both_parts(settings, people, smtp):
    transport, inbox = smtp
    ticket = await open_ticket(settings, people["ann"], NewTicket(type="incident", subject="Router", description="x"))
    await conversation.reply(settings, people["agent"], ticket, ANSWER, then="resolved")
    assert await sender.deliver_due(transport, FROM) == (2, 0)  # the receipt, then one answer

    receipt, answer = inbox.messages
    assert answer["Subject"] == f"[#{number_of(ticket.id)}] Router"
    text = answer.get_body(("plain",)).get_content()
    html = answer.get_body(("html",)).get_content()
    # Text: no Markdown markup, links as absolute URLs, the answer before "resolved, please rate".
    assert "**" not in text and "`" not in text and "[the guide]" not in text
    assert "update the firmware" in text and "http://portal.test/kb/en/firmware-update" in text
    assert text.index("update the firmware") < text.index("is resolved") < text.index("http://portal.test/rate/")
    assert "replying to this email" in text
    # HTML: rendered by the sanitising renderer, absolute links, no script from the message.
    assert "<strong>update the firmware</strong>" in html
    assert 'href="http://portal.test/kb/en/firmware-update"' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.index("update the firmware") < html.index("is resolved") < html.index("/rate/")

    # Threading: both answer the ticket's root; each carries its own id.
    root = thread_root(settings, ticket.id)
    for mail in (receipt, answer):
        assert mail["In-Reply-To"] == root and root in mail["References"]
        assert mail["Auto-Submitted"] == "auto-generated"
    assert receipt["Message-ID"] != answer["Message-ID"]
    assert read_message_ids(settings, answer["Message-ID"]) == (ticket.id, people["ann"].id)


async def test_an_answer_that_asks_for_information_is_one_mail_too(settings, people):
    ticket = await open_ticket(settings, people["ann"], NewTicket(type="incident", subject="Router", description="x"))
    before = await OutboxMessage.count().where(OutboxMessage.to_address == "ann@example.com")
    await conversation.reply(settings, people["agent"], ticket, "Which model is it?", then="pending")
    mails = await OutboxMessage.objects().where(OutboxMessage.to_address == "ann@example.com")
    assert len(mails) == before + 1
    assert mails[-1].body_text.index("Which model") < mails[-1].body_text.index("We need an answer from you")


async def test_a_retried_mail_keeps_its_message_id(settings, people, smtp):
    transport, inbox = smtp
    await open_ticket(settings, people["ann"], NewTicket(type="incident", subject="Router", description="x"))
    row = await OutboxMessage.objects().first()
    first = message_from_bytes(sender.build_message(row, FROM).data, policy=policy.default)["Message-ID"]
    assert message_from_bytes(sender.build_message(row, FROM).data, policy=policy.default)["Message-ID"] == first
    await sender.deliver_due(transport, FROM)
    assert inbox.messages[0]["Message-ID"] == first


async def test_a_forged_or_altered_message_id_is_not_ours(settings, people):
    ticket = await open_ticket(settings, people["ann"], NewTicket(type="incident", subject="Router", description="x"))
    row = await OutboxMessage.objects().first()
    ours = row.message_id
    assert read_message_ids(settings, f"<other@example.com> {ours}") == (ticket.id, people["ann"].id)
    other_user = ours.replace(f".u{people['ann'].id}.", f".u{people['agent'].id}.")
    other_ticket = ours.replace(f"<t{ticket.id}.", f"<t{ticket.id + 1}.")
    assert read_message_ids(settings, other_user) is None
    assert read_message_ids(settings, other_ticket) is None
    assert read_message_ids(settings, thread_root(settings, ticket.id)) is None
