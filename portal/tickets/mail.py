"""Ticket emails: every one names the ticket ([#N] subject), links to it, speaks the recipient's
language, threads with the ticket's other mail and carries a Message-ID signed for its recipient
(a reply that quotes it lands on the ticket); queued in the caller's transaction."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

from auth.tables import User
from kb.markdown import mail_text, render
from portal import i18n
from portal.notify.outbox import enqueue
from portal.settings import Settings
from portal.tickets.tables import Ticket
from portal.tickets.visibility import number_of

# <t1001.u7.3f9a0c1b2d4e.9c2b…@host>: ticket id, recipient id, a nonce, and their signature.
_OUR_ID = re.compile(r"<t(\d{1,12})\.u(\d{1,12})\.([0-9a-f]{12})\.([0-9a-f]{24})@([^<>\s]+)>")


def ticket_link(settings: Settings, ticket_id: int) -> str:
    return f"{settings.base_url}/tickets/{number_of(ticket_id)}"


def _domain(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "portal"


def _signature(settings: Settings, ticket_id: int, user_id: int, nonce: str) -> str:
    key = settings.secret_key.encode()
    return hmac.new(key, f"mail-thread:{ticket_id}:{user_id}:{nonce}".encode(), hashlib.sha256).hexdigest()[:24]


def thread_root(settings: Settings, ticket_id: int) -> str:
    """The Message-ID every mail about the ticket answers: mail clients group them under it."""
    return f"<ticket-{ticket_id}@{_domain(settings)}>"


def message_id_for(settings: Settings, ticket_id: int, user_id: int) -> str:
    """A fresh Message-ID for one mail to one recipient, signed: a reply quoting it proves which
    ticket it answers and to whom that mail went."""
    nonce = secrets.token_hex(6)
    return f"<t{ticket_id}.u{user_id}.{nonce}.{_signature(settings, ticket_id, user_id, nonce)}@{_domain(settings)}>"


def read_message_ids(settings: Settings, headers: str) -> tuple[int, int] | None:
    """The (ticket id, recipient id) of the first of our signed Message-IDs in In-Reply-To/References."""
    for ticket_id, user_id, nonce, signature, _host in _OUR_ID.findall(headers or ""):
        expected = _signature(settings, int(ticket_id), int(user_id), nonce)
        if hmac.compare_digest(expected, signature):
            return int(ticket_id), int(user_id)
    return None


async def mail(settings: Settings, to: User | None, template: str, ticket: Ticket, **extra: object) -> None:
    """Queue `template` about `ticket` for `to` (nobody, if the account is gone or deactivated)."""
    if to is None or not to.is_active:
        return
    if isinstance(extra.get("message"), str):
        # The message is Markdown: sanitised HTML for the HTML part, readable text for the other.
        extra["message_html"] = render(str(extra["message"]), base_url=settings.base_url).html
        extra["message"] = mail_text(str(extra["message"]), settings.base_url).strip()
    await enqueue(
        to.email,
        template,
        to.locale,
        message_id=message_id_for(settings, ticket.id, to.id),
        thread_root=thread_root(settings, ticket.id),
        name=to.name,
        number=number_of(ticket.id),
        subject=ticket.subject,
        due=i18n.format_when(ticket.first_response_due, to.time_zone, to.locale, "long"),
        link=ticket_link(settings, ticket.id),
        site_name=settings.site_name,
        **extra,
    )
