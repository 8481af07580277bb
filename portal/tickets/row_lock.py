"""A ticket's row locked for a change: every change to a ticket is decided on the row as it is now."""

from __future__ import annotations

from portal.db import for_update
from portal.tickets.errors import TicketNotFound
from portal.tickets.tables import Ticket


async def lock_current(ticket: Ticket) -> None:
    """Bring `ticket` (read when the request began) up to the database's row and lock the row until the
    transaction ends; call it first inside the write transaction, then decide. A change decided on the
    earlier copy would repeat another writer's (two agents resolving at once: two mails), record the wrong
    `old` on its event, or undo the other's columns. A related row already loaded (the requester, the
    assignee) stays loaded while its id is the same."""
    fresh = await for_update(Ticket.objects().where(Ticket.id == ticket.id)).first()
    if fresh is None:
        raise TicketNotFound()
    for column in Ticket._meta.columns:
        name = column._meta.name
        value, held = getattr(fresh, name), getattr(ticket, name)
        if not (hasattr(held, "id") and held.id == value):  # a loaded row of the same id is kept
            setattr(ticket, name, value)
