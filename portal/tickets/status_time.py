"""The time a ticket spends in each status, kept on the ticket as it moves (the reports add it up in SQL):
each status's seconds over the spells that ended, and since when it holds the status it is in."""

from __future__ import annotations

from datetime import datetime

from piccolo.columns import Column

from portal.tickets.tables import Ticket
from portal.tickets.workflow import Status

# Closed is the end, not a stage: no time is kept for it.
SECONDS: dict[Status, Column] = {
    Status.NEW: Ticket.seconds_new,
    Status.OPEN: Ticket.seconds_open,
    Status.PENDING: Ticket.seconds_pending,
    Status.RESOLVED: Ticket.seconds_resolved,
}


def leave(ticket: Ticket, now: datetime) -> None:
    """End the spell in the ticket's current status at `now` (the caller saves the ticket)."""
    column = SECONDS.get(Status(ticket.status))
    if column is not None:
        name = column._meta.name
        spell = now - (ticket.status_since or ticket.created_at)
        setattr(ticket, name, (getattr(ticket, name) or 0) + round(spell.total_seconds()))
    ticket.status_since = now
