"""Inbound mail becomes a ticket, a reply on its ticket, a held message for staff, or a logged
refusal: one message at a time, claimed in the database so that it is processed once however many
pollers fetch it, and committed before its mailbox copy may go."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

from auth import users
from auth.tables import Role, User
from portal.channels import held_files
from portal.channels.parsing import Parsed, cut_history, parse
from portal.channels.tables import InboundMail
from portal.db import is_unique_violation, write_transaction
from portal.settings import Settings
from portal.tickets import attachments, uploads, visibility
from portal.tickets.attachments import AttachmentRefused, Incoming
from portal.tickets.errors import TicketError
from portal.tickets.filing import NewTicket
from portal.tickets.mail import read_message_ids
from portal.tickets.tables import Ticket

log = logging.getLogger("portal.inbound")
HEADERS_READ = 256 * 1024  # of a message too large to take, the headers are read to log it


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # filed, replied, held, ignored, refused; "duplicate" when processed before
    reason: str = ""
    number: int | None = None


def own_addresses(settings: Settings) -> frozenset[str]:
    return frozenset(a for a in {parseaddr(settings.mail_from)[1].lower()} if a)


async def receive(settings: Settings, raw: bytes, size: int | None = None) -> Outcome:
    """Process one RFC 822 message (`size`: its full size, when only its headers were fetched).

    The claim, what the message becomes and its outcome are one transaction: a second poller's
    claim waits for the first one's commit and then finds the message done; a crash or a failing
    database rolls everything back and the message is taken again on the next pass. Raises only
    when the database fails; every problem of the message itself ends in an outcome."""
    size = len(raw) if size is None else size
    too_large = size > settings.inbound_max_bytes
    parsed = parse(raw[:HEADERS_READ] if too_large else raw, own_addresses(settings))
    if await _known(parsed.key):
        return Outcome("duplicate")
    try:
        async with write_transaction():
            row = await _claim(parsed, size)
            outcome = await _decide(settings, parsed, row, too_large) if row else Outcome("duplicate")
    except TicketError as exc:
        # Rolled back whole; the message is kept for staff with the reason.
        async with write_transaction():
            row = await _claim(parsed, size)
            outcome = await _hold(settings, row, parsed, exc.code) if row else Outcome("duplicate")
    log.info("inbound %s from %s: %s %s", parsed.key[:80], parsed.sender or "?", outcome.status, outcome.reason)
    return outcome


async def _known(key: str) -> bool:
    """Processed before (a poller that died before removing it from the mailbox, or a resend)."""
    return bool(await InboundMail.raw("SELECT 1 FROM inbound_mail WHERE message_key = {}", key))


async def _claim(parsed: Parsed, size: int) -> InboundMail | None:
    """The message's row, inside the caller's transaction; None when another poller committed it first."""
    row = InboundMail(
        message_key=parsed.key,
        sender=parsed.sender,
        sender_name=parsed.sender_name,
        subject=parsed.subject,
        size=size,
        claimed_at=datetime.now(UTC),
    )
    won = await InboundMail.insert(row).on_conflict(action="DO NOTHING").returning(InboundMail.id)
    if not won:
        return None
    row.id = won[0]["id"]
    row._exists_in_db = True
    return row


async def _settle(
    row: InboundMail, status: str, reason: str = "", ticket_id: int | None = None, body: str = ""
) -> Outcome:
    values: dict = {InboundMail.status: status, InboundMail.reason: reason[:40], InboundMail.ticket: ticket_id}
    if status == "held":
        values[InboundMail.body] = body
    await InboundMail.update(values).where(InboundMail.id == row.id)
    return Outcome(status, reason, visibility.number_of(ticket_id) if ticket_id else None)


async def _hold(settings: Settings, row: InboundMail, parsed: Parsed, reason: str, ticket_id: int | None = None):
    """Kept for staff to decide on, with its text and files."""
    held_files.keep(settings, parsed.key, parsed.files)
    return await _settle(row, "held", reason, ticket_id, parsed.text)


async def _decide(settings: Settings, parsed: Parsed, row: InboundMail, too_large: bool) -> Outcome:
    if too_large:
        log.warning("inbound %s refused: %s bytes is over the limit", parsed.key[:80], row.size)
        return await _settle(row, "refused", "too_large")
    if parsed.problem:
        log.warning("inbound %s refused: %s", parsed.key[:80], parsed.problem)
        return await _settle(row, "refused", parsed.problem)
    if parsed.robot:
        return await _settle(row, "ignored", parsed.robot)
    sender = await users.find_by_email(parsed.sender)
    if sender is not None and not sender.is_active:
        return await _hold(settings, row, parsed, "inactive_sender")
    if parsed.authentication_failed:
        return await _hold(settings, row, parsed, "unauthenticated")
    ticket_id = _answered_ticket(settings, parsed)
    if ticket_id is not None:
        return await _reply(settings, parsed, row, sender, ticket_id)
    if sender is None:
        if settings.inbound_unknown != "create":
            return await _hold(settings, row, parsed, "unknown_sender")
        sender = await _new_customer(settings, parsed)
    return await _file(settings, parsed, row, sender)


def _answered_ticket(settings: Settings, parsed: Parsed) -> int | None:
    """The ticket a reply answers: our signed Message-ID it refers to, else [#N] in the subject."""
    signed = read_message_ids(settings, parsed.references)
    if signed:
        return signed[0]
    return visibility.id_of(parsed.number) if parsed.number else None


async def _reply(settings: Settings, parsed: Parsed, row: InboundMail, sender: User | None, ticket_id: int) -> Outcome:
    if sender is None:
        known = ticket_id if await _exists(ticket_id) else None
        return await _hold(settings, row, parsed, "unknown_sender", known)
    try:
        # Visibility decides who may add to a ticket: requester, a sharing organization, staff.
        ticket = await visibility.get_for(sender, visibility.number_of(ticket_id))
    except TicketError:
        return await _hold(settings, row, parsed, "not_allowed")
    text, files = await _acceptable(settings, cut_history(parsed.text), parsed)
    async with write_transaction():
        await uploads.reply(settings, sender, ticket, text, files)
        return await _settle(row, "replied", ticket_id=ticket.id)


async def _file(settings: Settings, parsed: Parsed, row: InboundMail, requester: User) -> Outcome:
    text, files = await _acceptable(settings, parsed.text, parsed)
    draft = NewTicket(
        type="question",
        subject=parsed.subject or _first_words(text),
        description=text,
        channel="email",
        idempotency_key="mail:" + hashlib.sha256(parsed.key.encode()).hexdigest()[:40],
    )
    async with write_transaction():
        ticket = await uploads.file_ticket(settings, requester, draft, files)
        return await _settle(row, "filed", ticket_id=ticket.id)


async def _acceptable(settings: Settings, text: str, parsed: Parsed) -> tuple[str, list[Incoming]]:
    """The files the allow-list takes (as many as a form may carry); the others are named in the text."""
    accepted: list[Incoming] = []
    refused: list[str] = []
    for file in parsed.files:
        incoming = Incoming(file.filename, io.BytesIO(file.data))
        try:
            if len(accepted) >= attachments.MAX_FILES:
                raise AttachmentRefused("too_many", file.filename)
            await attachments.check_all([incoming], settings.attachment_max_bytes)
        except AttachmentRefused:
            refused.append(file.filename)
            continue
        incoming.stream.seek(0)
        accepted.append(incoming)
    if refused:
        text = f"{text}\n\n(Not attached: {', '.join(refused)})".strip()
    return text or "(no text)", accepted


def _first_words(text: str) -> str:
    words = " ".join(text.split())
    return (words[:80] or "(no subject)").strip()


async def _exists(ticket_id: int) -> bool:
    return await Ticket.exists().where(Ticket.id == ticket_id)


async def _new_customer(settings: Settings, parsed: Parsed) -> User:
    """An unconfirmed customer account for a sender the portal does not know (PORTAL_INBOUND_UNKNOWN=create);
    they set a password with "forgot password" when they want to sign in."""
    name = parsed.sender_name or parsed.sender.split("@")[0]
    try:
        async with write_transaction():
            return await users.create_user(
                parsed.sender, name[:200], role=Role.CUSTOMER, time_zone=settings.default_time_zone
            )
    except Exception as exc:
        if is_unique_violation(exc) and (user := await users.find_by_email(parsed.sender)):
            return user  # created by another poller a moment ago
        raise


async def decide_held(settings: Settings, staff: User, held_id: int, accept: bool) -> Outcome:
    """Staff accept a held message (it becomes a ticket of its sender, whose account is made if
    needed) or discard it."""
    if not visibility.is_staff(staff):
        raise TicketError("not_allowed")
    row = await InboundMail.objects().where((InboundMail.id == held_id) & (InboundMail.status == "held")).first()
    if row is None:
        raise TicketError("held_mail_gone")
    if not accept:
        await InboundMail.update({InboundMail.status: "discarded", InboundMail.decided_by: staff.id}).where(
            InboundMail.id == row.id
        )
        held_files.forget(settings, row.message_key)
        return Outcome("discarded")
    parsed = Parsed(key=row.message_key, sender=row.sender, sender_name=row.sender_name, subject=row.subject)
    parsed.text, parsed.files = row.body, held_files.taken(settings, row.message_key)
    requester = await users.find_by_email(row.sender) or await _new_customer(settings, parsed)
    async with write_transaction():
        outcome = await _file(settings, parsed, row, requester)
        await InboundMail.update({InboundMail.status: "accepted", InboundMail.decided_by: staff.id}).where(
            InboundMail.id == row.id
        )
    held_files.forget(settings, row.message_key)
    return Outcome("accepted", number=outcome.number)


async def held(limit: int = 100) -> list[InboundMail]:
    """The held messages staff have yet to decide on, oldest first."""
    return await InboundMail.objects().where(InboundMail.status == "held").order_by(InboundMail.id).limit(limit)
