"""Keeping the groups current and ranked: staleness after ticket changes, the period, the ranking."""

from datetime import UTC, datetime, timedelta

from auth.tables import Role
from portal.insights import overview, recurring
from portal.tickets import conversation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Ticket
from tests.helpers import create_user
from tests.portal.insights.test_groups_web import INVOICE, PASSWORD


async def _file(settings, customer, subjects) -> list[Ticket]:
    return [
        await open_ticket(settings, customer, NewTicket(type="question", subject=s, description=s)) for s in subjects
    ]


async def test_changed_tickets_make_the_groups_stale_until_the_next_rebuild(settings):
    customer = await create_user(settings, "ann@example.com")
    agent = await create_user(settings, "agent@example.com", Role.AGENT)
    assert not await recurring.stale()  # nothing to group yet
    tickets = await _file(settings, customer, PASSWORD)
    assert await recurring.stale()
    result = await recurring.rebuild()
    assert result.tickets == len(PASSWORD) and result.groups == 1
    assert not await recurring.stale()
    await conversation.reply(settings, agent, tickets[0], "Use the reset link.", then="resolved")
    assert await recurring.stale()


async def test_groups_rank_by_tickets_in_the_period_and_older_ones_drop_out(settings):
    customer = await create_user(settings, "ann@example.com")
    password = await _file(settings, customer, PASSWORD)
    await _file(settings, customer, INVOICE)
    await recurring.rebuild()
    now = datetime.now(UTC)
    ranked = await overview.groups("30", now)
    assert [g.tickets for g in ranked] == [len(PASSWORD), len(INVOICE)]
    assert all(g.open == g.tickets and g.article is None for g in ranked)

    old = now - timedelta(days=60)
    await Ticket.update({Ticket.created_at: old}).where(Ticket.id.is_in([t.id for t in password]))
    recent = await overview.groups("30", now)
    assert [g.tickets for g in recent] == [len(INVOICE)]
    everything = await overview.groups("all", now)
    # A question asked a little less often but today outranks one last asked two months ago.
    assert [g.tickets for g in everything] == [len(INVOICE), len(PASSWORD)]
