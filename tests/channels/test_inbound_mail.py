"""Mail in, through a real IMAP server (dovecot) and `portal mail fetch`: new requests, replies that
land on their ticket only from people who may see it, held messages, no loops, once only, and bad
input that never stops the poller."""

import asyncio
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from click.testing import CliRunner

from auth import organizations
from auth.tables import Role, User
from portal.channels import imap_poll, intake
from portal.channels.tables import InboundMail
from portal.cli import main
from portal.notify.tables import OutboxMessage
from portal.tickets import conversation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Attachment, Message, Ticket
from portal.tickets.visibility import number_of
from tests.conftest import make_settings
from tests.helpers import create_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def settings(tmp_path, database_url, imap):
    return make_settings(
        tmp_path, database_url, PORTAL_IMAP_URL=imap.url, PORTAL_MAIL_FROM="Support <support@portal.test>"
    )


@pytest.fixture
async def people(settings):
    org = await organizations.create("Acme", shares_tickets=True)
    return {
        "ann": await create_user(settings, "ann@example.com", name="Ann", organization_id=org.id),
        "colleague": await create_user(settings, "cole@example.com", name="Cole", organization_id=org.id),
        "mallory": await create_user(settings, "mallory@example.com", name="Mallory"),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Boris Agent"),
    }


def letter(sender, subject, text="", *, html=None, files=(), **headers) -> bytes:
    """A message as a mail client writes it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@portal.test"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.test")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text:
        message.set_content(text)
    if html is not None:
        if text:
            message.add_alternative(html, subtype="html")
        else:
            message.set_content(html, subtype="html")
    for filename, data in files:
        maintype, subtype = ("image", "png") if filename.endswith(".png") else ("application", "octet-stream")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


async def _tickets():
    return await Ticket.objects().order_by(Ticket.id)


async def test_mail_from_a_known_customer_becomes_a_ticket_with_its_files_and_leaves_the_mailbox(
    settings, people, imap
):
    thunderbird = letter(
        "Ann <Ann@Example.com>",
        "Printer jams on page 2",
        "It jams every time.\n\n-- \nAnn, Acme Ltd\n+1 555 0100",
        files=[("jam.png", PNG), ("setup.exe", b"MZ\x90\x00binary")],
    )
    outlook = letter(
        '"Cole" <cole@example.com>',
        "VPN drops",
        "VPN drops hourly.",
        html="<html><body><p>VPN drops <b>hourly</b>.</p><script>alert(1)</script></body></html>",
    )
    imap.append(thunderbird, outlook)
    counts = await imap_poll.fetch(settings)
    assert counts["filed"] == 2 and imap.count() == 0

    # Different senders are taken side by side: find each by its sender, not by its place.
    first, second = sorted(await _tickets(), key=lambda t: t.requester != people["ann"].id)
    assert (first.subject, first.channel, first.requester) == ("Printer jams on page 2", "email", people["ann"].id)
    assert "It jams every time." in first.description and "setup.exe" in first.description  # named, not attached
    files = await Attachment.objects().where(Attachment.ticket == first.id)
    assert [f.filename for f in files] == ["jam.png"]
    assert second.requester == people["colleague"].id and "<script>" not in second.description
    receipt = await OutboxMessage.objects().where(OutboxMessage.to_address == "ann@example.com").first()
    assert receipt.subject == f"[#{number_of(first.id)}] Printer jams on page 2"


async def test_html_only_russian_and_forwarded_mail_read_as_text(settings, people, imap):
    gmail = letter(
        "Анна <ann@example.com>",
        "Не печатает принтер",
        html='<div dir="ltr">Здравствуйте!<br>Принтер <i>не печатает</i>.<style>p{}</style></div>',
    )
    forwarded = letter(
        "ann@example.com",
        "Fwd: Invoice 42 is wrong",
        "See below.\n\n---------- Forwarded message ---------\nFrom: Billing <b@vendor.test>\nThe amount is 100.",
    )
    imap.append(gmail, forwarded)
    await imap_poll.fetch(settings)
    russian, fwd = await _tickets()
    assert russian.subject == "Не печатает принтер" and "Принтер не печатает." in russian.description
    assert "p{}" not in russian.description
    # A forwarded request keeps what was forwarded; only the prefix goes from the subject.
    assert fwd.subject == "Invoice 42 is wrong" and "The amount is 100." in fwd.description


async def test_a_reply_lands_on_its_ticket_without_quotes_and_reopens_it(settings, people, imap):
    ticket = await open_ticket(settings, people["ann"], NewTicket(type="incident", subject="Router", description="x"))
    await conversation.reply(settings, people["agent"], ticket, "Which model?", then="pending")
    ours = (
        await OutboxMessage.objects()
        .where(OutboxMessage.to_address == "ann@example.com")
        .order_by(OutboxMessage.id, ascending=False)
        .first()
    )
    reply = letter(
        "ann@example.com",
        f"Re: [#{number_of(ticket.id)}] Router",
        "It is the RT-200.\n\nOn Mon, 1 Dec 2026 at 10:00, Support <support@portal.test> wrote:\n> Which model?\n",
        In_Reply_To=ours.message_id,
        References=f"{ours.thread_root} {ours.message_id}",
    )
    imap.append(reply)
    assert (await imap_poll.fetch(settings))["replied"] == 1
    messages = await Message.objects().where(Message.ticket == ticket.id).order_by(Message.id)
    assert messages[-1].body == "It is the RT-200." and messages[-1].author == people["ann"].id
    assert (await Ticket.objects().where(Ticket.id == ticket.id).first()).status == "open"

    # A colleague of a sharing organization may add by [#N]; a staff member's reply is a public answer.
    imap.append(
        letter("cole@example.com", f"[#{number_of(ticket.id)}] Router", "Same here."),
        letter("agent@example.com", f"RE: [#{number_of(ticket.id)}] Router", "Update the firmware."),
    )
    assert (await imap_poll.fetch(settings))["replied"] == 2
    bodies = [m.body for m in await Message.objects().where(Message.ticket == ticket.id).order_by(Message.id)]
    assert bodies[-2:] == ["Same here.", "Update the firmware."]
    staff_answer = await Message.objects().where(Message.body == "Update the firmware.").first()
    assert staff_answer.internal is False


async def test_someone_elses_number_or_a_forged_token_never_lands_on_a_ticket(settings, people, imap):
    ticket = await open_ticket(settings, people["ann"], NewTicket(type="incident", subject="Router", description="x"))
    receipt = await OutboxMessage.objects().where(OutboxMessage.to_address == "ann@example.com").first()
    number = number_of(ticket.id)
    forged_token = receipt.message_id.replace(f".u{people['ann'].id}.", f".u{people['mallory'].id}.")
    imap.append(
        letter("mallory@example.com", f"Re: [#{number}] Router", "Let me in."),
        letter("mallory@example.com", "Re: Router", "Token stolen.", In_Reply_To=receipt.message_id),
        letter("mallory@example.com", "Re: Router", "Token forged.", In_Reply_To=forged_token),
        letter("stranger@elsewhere.test", f"Re: [#{number}] Router", "Who am I?"),
        letter(
            "ann@example.com",
            f"Re: [#{number}] Router",
            "Spoofed Ann.",
            Authentication_Results="mx.portal.test; spf=fail smtp.mailfrom=example.com; dmarc=fail",
        ),
    )
    counts = await imap_poll.fetch(settings)
    assert counts["held"] == 4 and imap.count() == 0
    assert await Message.count().where(Message.ticket == ticket.id) == 0
    # A forged token is no token: that mail is Mallory's own new request, on her own ticket.
    _ann, forged = await _tickets()
    assert forged.requester == people["mallory"].id and forged.description == "Token forged."
    held = await intake.held()
    assert {h.reason for h in held} == {"not_allowed", "unknown_sender", "unauthenticated"}


async def test_auto_replies_bounces_bulk_and_our_own_mail_make_nothing_and_send_nothing(settings, people, imap):
    ticket = await open_ticket(settings, people["ann"], NewTicket(type="incident", subject="Router", description="x"))
    number = number_of(ticket.id)
    mails_before = await OutboxMessage.count()
    imap.append(
        letter("ann@example.com", f"Out of office: [#{number}] Router", "Away.", Auto_Submitted="auto-replied"),
        letter("ann@example.com", "Newsletter", "Buy!", Precedence="bulk"),
        letter("MAILER-DAEMON@mx.example.com", f"Undelivered: [#{number}]", "Failed."),
        letter("Support <support@portal.test>", f"[#{number}] Router", "Our own mail came back."),
    )
    assert (await imap_poll.fetch(settings))["ignored"] == 4 and imap.count() == 0
    assert await Ticket.count() == 1 and await Message.count() == 0
    assert await OutboxMessage.count() == mails_before


async def test_the_same_message_twice_and_two_pollers_at_once_make_one_ticket_each(settings, people, imap):
    once = letter("ann@example.com", "Fetched twice", "Hello.")
    imap.append(once, once)
    await imap_poll.fetch(settings)
    assert await Ticket.count() == 1 and imap.count() == 0

    imap.append(*(letter("ann@example.com", f"Request {n}", f"Body {n}.") for n in range(12)))
    results = await asyncio.gather(imap_poll.fetch(settings), imap_poll.fetch(settings))
    assert sum(r["filed"] for r in results) == 12
    subjects = [t.subject for t in await _tickets()]
    assert len(subjects) == 13 == len(set(subjects)) and imap.count() == 0


async def test_each_senders_mail_becomes_tickets_in_mailbox_order_while_senders_are_taken_side_by_side(
    settings, people, imap
):
    interleaved = []
    for n in range(8):
        interleaved.append(letter("ann@example.com", f"Ann {n}", f"Body {n}."))
        interleaved.append(letter("cole@example.com", f"Cole {n}", f"Body {n}."))
    imap.append(*interleaved)
    counts = await imap_poll.fetch(settings)
    assert counts["filed"] == 16 and imap.count() == 0
    tickets = await _tickets()
    for name, who in (("Ann", people["ann"].id), ("Cole", people["colleague"].id)):
        assert [t.subject for t in tickets if t.requester == who] == [f"{name} {n}" for n in range(8)]


async def test_bad_input_becomes_a_ticket_a_held_message_or_a_refusal_and_the_poller_goes_on(settings, people, imap):
    huge = letter("ann@example.com", "Huge", "x", files=[("big.txt", b"a" * (30 * 1024 * 1024))])
    imap.append(
        b"From: ann@example.com\r\nSubject: Broken MIME\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n--never-closed\r\n'
        b"Content-Type: text/plain; charset=x-unknown-charset\r\n\r\nText in an unknown charset \xff\xfe\r\n",
        b"From: ann@example.com\r\nSubject: \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 8-bit header\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nBody with NUL \x00 inside\r\n",
        letter("ann@example.com", "S" * 5000, "Long subject."),
        b"From: ann@example.com\r\n\tBcc: victim@example.com\r\nSubject: folded\r\n\r\nfolded from\r\n",
        b'From: "x" <ann@example.com\r\nX-Injected: 1>\r\nSubject: CRLF\r\n\r\nbody\r\n',
        huge,
        letter("ann@example.com", "Still processed after the bad ones", "Fine."),
    )
    counts = await imap_poll.fetch(settings)
    assert imap.count() == 0 and counts["failed"] == 0
    subjects = [t.subject for t in await _tickets()]
    assert "Still processed after the bad ones" in subjects and "Broken MIME" in subjects
    assert "Привет 8-bit header" in subjects
    assert any(s.startswith("SSSS") and len(s) <= 200 for s in subjects)
    assert all("\x00" not in t.description for t in await _tickets())
    refused = await InboundMail.objects().where(InboundMail.status == "refused")
    assert "too_large" in {r.reason for r in refused}
    assert not await Ticket.exists().where(Ticket.subject == "Huge")


async def test_an_unknown_sender_is_held_until_staff_accept_or_discard(settings, people, imap):
    imap.append(
        letter("New Person <new@prospect.test>", "Pricing?", "How much is Premium?", files=[("plan.png", PNG)]),
        letter("spam@junk.test", "Win a prize", "Click.", files=[("prize.png", PNG)]),
    )
    assert (await imap_poll.fetch(settings))["held"] == 2 and await Ticket.count() == 0
    pricing, spam = sorted(await intake.held(), key=lambda mail: mail.subject != "Pricing?")
    accepted = await intake.decide_held(settings, people["agent"], pricing.id, accept=True)
    await intake.decide_held(settings, people["agent"], spam.id, accept=False)
    ticket = (await _tickets())[0]
    assert number_of(ticket.id) == accepted.number and ticket.description == "How much is Premium?"
    newcomer = await User.objects().where(User.email == "new@prospect.test").first()
    assert ticket.requester == newcomer.id and newcomer.email_verified_at is None
    assert await intake.held() == []
    # The held message's file came with it; the discarded one's is gone from the data directory.
    files = await Attachment.objects().where(Attachment.ticket == ticket.id)
    assert [f.filename for f in files] == ["plan.png"]
    assert not [p for p in (settings.data_dir / "held").rglob("*") if p.is_file()]


async def test_with_create_an_unknown_sender_gets_an_unconfirmed_account_and_a_ticket(tmp_path, database_url, imap):
    settings = make_settings(tmp_path, database_url, PORTAL_IMAP_URL=imap.url, PORTAL_INBOUND_UNKNOWN="create")
    imap.append(letter("Олег <oleg@new.test>", "Вопрос", "Текст."))
    assert (await imap_poll.fetch(settings))["filed"] == 1
    oleg = await User.objects().where(User.email == "oleg@new.test").first()
    assert oleg.name == "Олег" and oleg.email_verified_at is None and oleg.role == "customer"


async def test_the_commands_fetch_from_imap_and_take_a_message_on_stdin(settings, people, imap, monkeypatch):
    for key, value in (
        ("PORTAL_DATA_DIR", str(settings.data_dir)),
        ("PORTAL_DATABASE_URL", settings.database_url),
        ("PORTAL_IMAP_URL", imap.url),
    ):
        monkeypatch.setenv(key, value)
    imap.append(letter("ann@example.com", "From IMAP", "Hello."))
    runner = CliRunner()
    fetched = await asyncio.to_thread(runner.invoke, main, ["mail", "fetch"])
    assert fetched.exit_code == 0 and "filed 1" in fetched.output
    piped = letter("ann@example.com", "From the MTA", "Hello.")
    received = await asyncio.to_thread(runner.invoke, main, ["mail", "receive"], input=piped)
    assert received.exit_code == 0 and received.output.startswith("filed")
    again = await asyncio.to_thread(runner.invoke, main, ["mail", "receive"], input=piped)
    assert again.output.startswith("duplicate")
    assert [t.subject for t in await _tickets()] == ["From IMAP", "From the MTA"]


async def test_staff_decide_on_held_mail_in_the_workspace_and_customers_cannot(client, settings, people, imap):
    from tests.helpers import post_form, sign_in

    imap.append(letter("Newcomer <new@prospect.test>", "Demo please", "Can we see a demo?"))
    await imap_poll.fetch(settings)
    (held,) = await intake.held()
    await sign_in(client, "ann@example.com")
    assert (await client.get("/staff/inbound")).status_code in (403, 404)
    await client.post("/logout")
    client.cookies.clear()
    await sign_in(client, "agent@example.com")
    listing = await client.get("/staff/inbound", headers={"Accept-Language": "ru"})
    assert listing.status_code == 200 and "Can we see a demo?" in listing.text
    accepted = await post_form(client, f"/staff/inbound/{held.id}/accept", {})
    ticket = (await _tickets())[0]
    assert (
        accepted.status_code in (302, 303) and accepted.headers["location"] == f"/staff/tickets/{number_of(ticket.id)}"
    )
    again = await post_form(client, f"/staff/inbound/{held.id}/discard", {})
    assert again.headers["location"] == "/staff/inbound?error=1" and await Ticket.count() == 1
