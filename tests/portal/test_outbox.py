"""Mail goes through the outbox: written with its event, delivered by a real SMTP server, retried."""

import asyncio
import contextlib
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from click.testing import CliRunner

from portal.cli import main
from portal.db import write_transaction
from portal.db.inserts import insert
from portal.notify import sender
from portal.notify.outbox import InvalidRecipient, enqueue, enqueue_many, prepare, prepare_each
from portal.notify.render import render
from portal.notify.tables import OutboxMessage
from tests.helpers import post_form

FROM = "Support <support@portal.test>"


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


class RawInbox:
    """What an SMTP server receives, byte for byte."""

    def __init__(self):
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope.original_content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def smtp_server(handler, port: int | None = None):
    """A real SMTP server (aiosmtpd) on this machine while the block runs; the sender's transport to it."""
    port = port or free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield sender.SmtpTransport(f"smtp://127.0.0.1:{port}")
    finally:
        server.stop()


async def test_mail_is_written_in_the_same_transaction_as_its_event(database_url):
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await enqueue("ann@example.com", "password_reset", "en", name="Ann", link="http://x/y", site_name="S")
            raise RuntimeError("the event failed after queueing its mail")
    assert await OutboxMessage.count() == 0


async def test_outbox_survives_a_failing_smtp_server_and_delivers_when_it_is_back(database_url):
    port = free_port()
    transport = sender.SmtpTransport(f"smtp://127.0.0.1:{port}")
    await enqueue("ann@example.com", "password_reset", "ru", name="Анна", link="http://x/y", site_name="S")

    # Nobody listens: the attempt fails, the message stays queued with a later retry.
    now = datetime.now(UTC)
    assert await sender.deliver_due(transport, FROM, now=now) == (0, 1)
    row = await OutboxMessage.objects().first()
    assert (row.status, row.attempts) == ("pending", 1) and row.last_error
    assert row.next_attempt_at >= now + sender.backoff(1) - timedelta(seconds=1)
    assert await sender.deliver_due(transport, FROM, now=now) == (0, 0)  # not due again yet

    inbox = Inbox()
    later = now + sender.backoff(1) + timedelta(seconds=1)
    with smtp_server(inbox, port):
        assert await sender.deliver_due(transport, FROM, now=later) == (1, 0)
    assert len(inbox.messages) == 1
    delivered = inbox.messages[0]
    assert delivered["To"] == "ann@example.com"
    from email.header import decode_header, make_header

    assert "парол" in str(make_header(decode_header(delivered["Subject"]))).lower()  # in her language
    row = await OutboxMessage.objects().first()
    assert (row.status, row.attempts) == ("sent", 2) and row.sent_at is not None
    assert await sender.deliver_due(transport, FROM, now=later + timedelta(hours=1)) == (0, 0)  # sent once


async def test_a_message_is_given_up_after_the_last_attempt(database_url):
    await enqueue("ann@example.com", "password_reset", "en", name="Ann", link="http://x/y", site_name="S")
    await OutboxMessage.update({OutboxMessage.attempts: sender.MAX_ATTEMPTS - 1}, force=True)
    assert await sender.deliver_due(sender.SmtpTransport(f"smtp://127.0.0.1:{free_port()}"), FROM) == (0, 1)
    assert (await OutboxMessage.objects().first()).status == "failed"


async def test_two_senders_never_send_the_same_message_twice(database_url, tmp_path):
    for n in range(10):
        await enqueue(f"user{n}@example.com", "password_reset", "en", name="U", link="http://x/y", site_name="S")
    transport = sender.MaildirTransport(tmp_path / "mail")
    results = await asyncio.gather(sender.deliver_due(transport, FROM), sender.deliver_due(transport, FROM))
    assert sum(sent for sent, _failed in results) == 10
    assert len(list((tmp_path / "mail" / "new").iterdir())) == 10


async def test_two_senders_drain_a_backlog_through_smtp_each_mail_once(database_url):
    count = sender.BATCH * 3 + 7  # several batches: each pass claims the next while its last came full
    await enqueue_many(
        prepare_each(
            [(f"user{n}@example.com", f"U{n}") for n in range(count)], "password_reset", "ru", link="-", site_name="S"
        )
    )
    inbox = RawInbox()
    with smtp_server(inbox) as transport:
        results = await asyncio.gather(sender.deliver_due(transport, FROM), sender.deliver_due(transport, FROM))
    assert sum(sent for sent, _failed in results) == count and all(failed == 0 for _sent, failed in results)
    recipients = sorted(message_from_bytes(raw, policy=policy.default)["To"] for raw in inbox.received)
    assert recipients == sorted(f"user{n}@example.com" for n in range(count))  # each one, once
    assert await OutboxMessage.count().where(OutboxMessage.status == "sent") == count


class TwoAConnection(RawInbox):
    """A server that takes two messages a connection and refuses the third, as some providers do."""

    def __init__(self):
        super().__init__()
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.taken = 0
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        if session.taken == 2:
            return "421 4.7.0 Too many messages on this connection"
        session.taken += 1
        return await super().handle_DATA(server, session, envelope)


async def test_one_connection_serves_several_mails_and_a_closed_one_is_opened_again(database_url):
    for n in range(5):
        await enqueue(f"user{n}@example.com", "password_reset", "en", name="U", link="http://x/y", site_name="S")
    inbox = TwoAConnection()
    with smtp_server(inbox) as transport:
        assert await sender.deliver_due(transport, FROM) == (5, 0)
    assert len(inbox.received) == 5 and inbox.connections == 3


async def test_a_pass_drains_a_bounded_number_of_batches(database_url, tmp_path):
    count = sender.BATCH * sender.BATCHES_A_PASS + 3
    await enqueue_many(
        prepare_each(
            [(f"u{n}@example.com", "U") for n in range(count)], "password_reset", "en", link="-", site_name="S"
        )
    )
    transport = sender.MaildirTransport(tmp_path / "mail")
    assert await sender.deliver_due(transport, FROM) == (count - 3, 0)
    assert await sender.deliver_due(transport, FROM) == (3, 0)  # the rest at the next pass


async def test_a_claimed_message_is_left_alone_until_its_lease_runs_out(database_url, tmp_path):
    await enqueue("ann@example.com", "password_reset", "en", name="Ann", link="http://x/y", site_name="S")
    now = datetime.now(UTC)
    claimed = await sender._claim(now)
    assert [row.to_address for row in claimed] == ["ann@example.com"] and claimed[0].created_at.tzinfo is not None
    transport = sender.MaildirTransport(tmp_path / "mail")
    assert await sender.deliver_due(transport, FROM, now=now) == (0, 0)  # the claimer is sending it
    # The claimer died: after the lease another sender takes it.
    assert await sender.deliver_due(transport, FROM, now=now + sender.CLAIM_LEASE + timedelta(seconds=1)) == (1, 0)


async def test_header_injection_is_impossible(database_url, tmp_path):
    with pytest.raises(InvalidRecipient):
        await enqueue(
            "ann@example.com\r\nBcc: all@example.com", "password_reset", "en", name="A", link="http://x", site_name="S"
        )
    message = await enqueue(
        "ann@example.com", "invitation", "en", name="Ann", link="http://x", site_name="Evil\r\nBcc: all@example.com"
    )
    assert "\n" not in message.subject and "\r" not in message.subject
    await sender.deliver_due(sender.MaildirTransport(tmp_path / "mail"), FROM)
    raw = next((tmp_path / "mail" / "new").iterdir()).read_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and b"Subject: Your account at Evil Bcc: all@example.com" in headers


async def test_html_part_escapes_what_users_typed(database_url):
    message = await enqueue(
        "ann@example.com",
        "verify_email",
        "en",
        name="<script>alert(1)</script>",
        link="http://x/verify?token=a&b",
        site_name="S",
    )
    assert "<script>" not in message.body_html and "&lt;script&gt;" in message.body_html
    assert "<script>alert(1)</script>" in message.body_text  # plain text is plain


def test_mails_of_one_template_each_read_their_own_values():
    receipt = {"due": "5 декабря, 17:00", "site_name": "Support & Co"}
    first = render(
        "ticket_receipt",
        "ru",
        **receipt,
        name="Анна <b>",
        number=1001,
        subject="  Printer\r\n on fire ",
        link="http://x/tickets/1001?a=1&b=2",
    )
    # Text that looks like a template's placeholders is shown as it was typed.
    second = render(
        "ticket_receipt", "ru", **receipt, name="Bob \ue000link\ue000", number=1002, subject="%(name)s {x}", link="-"
    )
    assert first.subject == "[#1001] Printer on fire"
    assert "Здравствуйте, Анна <b>!" in first.text and "http://x/tickets/1001?a=1&b=2" in first.text
    assert "Здравствуйте, Анна &lt;b&gt;!" in first.html and 'href="http://x/tickets/1001?a=1&amp;b=2"' in first.html
    assert "<title>[#1001] Printer on fire</title>" in first.html and "Support &amp; Co" in first.html
    assert second.subject == "[#1002] %(name)s {x}" and "<title>[#1002] %(name)s {x}</title>" in second.html
    assert "Здравствуйте, Bob \ue000link\ue000!" in second.text and "#1002" in second.text
    assert "1001" not in second.text and "Анна" not in second.html
    assert "5 декабря, 17:00" in first.text and "5 декабря, 17:00" in second.html


def test_a_mail_that_depends_on_a_value_follows_it():
    reply = {"name": "Ann", "number": 1001, "subject": "S", "author": "Bo", "message": "Hi", "message_html": "Hi"}
    reply |= {"link": "http://x/t", "rating_link": "http://x/r", "site_name": "S"}
    waiting, resolved = (render("ticket_reply", "en", **reply, then=then) for then in ("pending", "resolved"))
    assert "Until you reply, the ticket waits for you." in waiting.text
    assert "Until you reply" not in resolved.text and "http://x/r" in resolved.text


async def test_mail_commands_read_the_local_maildir(client, settings, monkeypatch):
    monkeypatch.setenv("PORTAL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PORTAL_DATABASE_URL", settings.database_url)
    await post_form(client, "/password/forgot", {"email": "nobody@example.com"})
    await post_form(
        client,
        "/register",
        {"name": "Ann", "email": "ann@example.com", "password": "long enough pw", "password2": "long enough pw"},
    )
    runner = CliRunner()
    sent = await asyncio.to_thread(runner.invoke, main, ["send-mail", "--once"])
    assert sent.exit_code == 0 and "Sent 1, failed 0." in sent.output
    listing = await asyncio.to_thread(runner.invoke, main, ["mail", "list"])
    assert "ann@example.com" in listing.output and "Confirm your email address" in listing.output
    shown = await asyncio.to_thread(runner.invoke, main, ["mail", "show", "1"])
    assert shown.exit_code == 0 and "http://portal.test/verify?token=" in shown.output
    missing = await asyncio.to_thread(runner.invoke, main, ["mail", "show", "9"])
    assert missing.exit_code != 0 and "no message 9" in missing.output


LONG_RU = "Ваш запрос о доступе к личному кабинету и восстановлении пароля " * 4


@pytest.mark.parametrize("via", ["maildir", "smtp"])
async def test_a_recipient_reads_every_header_and_both_parts_in_english_and_russian(database_url, tmp_path, via):
    mails = {
        "ann@example.com": prepare(
            "ann@example.com", "password_reset", "en", name="Ann", link="http://x/y", site_name="S & Co"
        ),
        "anna@example.com": prepare(
            "anna@example.com",
            "password_reset",
            "ru",
            message_id="<m-1@portal.test>",
            thread_root="<root-7@portal.test>",
            name="Анна",
            link="http://x/y",
            site_name="Поддержка",
        ),
    }
    mails["anna@example.com"].subject = LONG_RU[:300]  # folded over several encoded lines
    for mail in mails.values():
        await insert(mail)
    rows = {row.to_address: row for row in await OutboxMessage.objects()}
    the_sender = "Поддержка «Портал» <support@portal.test>"
    if via == "maildir":
        assert await sender.deliver_due(sender.MaildirTransport(tmp_path / "mail"), the_sender) == (2, 0)
        received = [path.read_bytes() for path in (tmp_path / "mail" / "new").iterdir()]
    else:
        inbox = RawInbox()
        with smtp_server(inbox) as transport:
            assert await sender.deliver_due(transport, the_sender) == (2, 0)
        received = [raw.replace(b"\r\n", b"\n") for raw in inbox.received]  # as a mail store keeps it
    assert len(received) == 2
    for raw in received:
        head = raw.split(b"\n\n", 1)[0]
        head.decode("ascii")  # non-ASCII travels encoded (RFC 2047)
        assert all(len(line) <= 998 for line in raw.splitlines())
        message = message_from_bytes(raw, policy=policy.default)
        row = rows[message["To"]]
        assert str(message["From"]) == the_sender
        assert message["From"].addresses[0].addr_spec == "support@portal.test"
        assert message["Subject"] == row.subject
        assert parsedate_to_datetime(message["Date"]) == row.created_at.replace(microsecond=0)
        assert message["Message-ID"] == (row.message_id or f"<outbox-{row.id}@portal.test>")
        assert message["Auto-Submitted"] == "auto-generated" and message["X-Auto-Response-Suppress"] == "All"
        assert message["MIME-Version"] == "1.0" and message.get_content_type() == "multipart/alternative"
        if row.thread_root:
            assert message["In-Reply-To"] == message["References"] == "<root-7@portal.test>"
        else:
            assert "In-Reply-To" not in message and "References" not in message
        text, html = message.get_payload()
        assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        assert text.get_content_charset() == html.get_content_charset() == "utf-8"
        assert text.get_content().rstrip("\n") == row.body_text.rstrip("\n")
        assert html.get_content().rstrip("\n") == row.body_html.rstrip("\n")
    russian = message_from_bytes(next(r for r in received if b"anna@" in r), policy=policy.default)
    assert "Анна" in russian.get_body(("plain",)).get_content() and LONG_RU[:40] in russian["Subject"]


@pytest.mark.parametrize(
    "subject",
    [
        "[#1001] Printer on fire",
        "Re: a,b;c " * 20,  # folded at its spaces, never after its commas
        "x" * 120 + " y,z",  # a word longer than a line stays whole
        "two  spaces  " * 10,
        "Смешанный, mixed; текст — " * 6,
        "=?utf-8?q?looks_encoded?= but is not",
    ],
)
def test_a_subject_reads_back_as_written_however_it_is_folded(subject):
    row = OutboxMessage(id=1, to_address="ann@example.com", subject=subject[:300], body_text="Hi", body_html="")
    row.created_at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    raw = sender.build_message(row, FROM).data
    assert all(len(line) <= 998 for line in raw.splitlines()) and raw.isascii()
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject[:300]


@pytest.mark.parametrize("field", ["subject", "message_id", "thread_root"])
def test_a_line_break_that_reaches_the_message_starts_no_header(field):
    row = OutboxMessage(id=1, to_address="ann@example.com", subject="Hello", body_text="Hi", body_html="")
    row.created_at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    setattr(row, field, "<a@b>\r\nBcc: all@example.com\nX-Evil: 1")
    headers = sender.build_message(row, FROM).data.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nX-Evil:" not in headers
