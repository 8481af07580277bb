"""Bulk actions by two agents on the same selection at once: each ticket decided on as it is then."""

import asyncio

from portal.notify.tables import OutboxMessage
from portal.tickets import bulk
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Event
from portal.tickets.visibility import number_of


async def test_two_agents_resolving_the_same_selection_at_once_resolve_each_ticket_once(settings, people):
    draft = NewTicket(type="incident", subject="Router", description="Reboots.")
    numbers = [number_of((await open_ticket(settings, people["ann"], draft)).id) for _ in range(3)]
    wanted = bulk.Bulk("status", numbers, status="resolved")
    outcomes = await asyncio.gather(*(bulk.apply(settings, people[who], wanted) for who in ("agent", "other")))
    # The tickets one agent finds resolved already are done for them too, not refused as a wrong move.
    assert [(o.done, o.failed) for o in outcomes] == [(numbers, []), (numbers, [])]
    assert await Event.count().where((Event.kind == "status") & (Event.new == "resolved")) == 3
    resolved = await OutboxMessage.objects().where(OutboxMessage.to_address == "ann@example.com")
    assert sum("is resolved" in m.body_text for m in resolved) == 3
