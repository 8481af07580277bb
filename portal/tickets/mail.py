"""Ticket emails: every one names the ticket ([#N] subject), links to it and speaks the recipient's
language; queued in the caller's transaction."""

from __future__ import annotations

from auth.tables import User
from portal import i18n
from portal.notify.outbox import enqueue
from portal.settings import Settings
from portal.tickets.tables import Ticket
from portal.tickets.visibility import number_of


def ticket_link(settings: Settings, ticket_id: int) -> str:
    return f"{settings.base_url}/tickets/{number_of(ticket_id)}"


async def mail(settings: Settings, to: User | None, template: str, ticket: Ticket, **extra: object) -> None:
    """Queue `template` about `ticket` for `to` (nobody, if the account is gone or deactivated)."""
    if to is None or not to.is_active:
        return
    await enqueue(
        to.email,
        template,
        to.locale,
        name=to.name,
        number=number_of(ticket.id),
        subject=ticket.subject,
        due=i18n.format_when(ticket.first_response_due, to.time_zone, to.locale, "long"),
        link=ticket_link(settings, ticket.id),
        site_name=settings.site_name,
        **extra,
    )
