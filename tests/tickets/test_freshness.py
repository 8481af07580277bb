"""A ticket's version is raised by the database on every change to what its pages show, whoever writes
it; the freshness answers follow it."""

import pytest

from auth.tables import Role
from portal import db
from portal.tickets import freshness
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Attachment, Event, Follower, Message, Rating, Ticket
from portal.tickets.visibility import number_of
from tests.helpers import create_user


async def version(ticket_id: int) -> int:
    return (await Ticket.select(Ticket.version).where(Ticket.id == ticket_id).first())["version"]


@pytest.fixture
async def filed(settings):
    ann = await create_user(settings, "ann@example.com")
    agent = await create_user(settings, "agent@example.com", role=Role.AGENT, name="Alex Agent")
    first = await open_ticket(settings, ann, NewTicket(type="question", subject="Printer jams", description="D"))
    second = await open_ticket(settings, ann, NewTicket(type="question", subject="Invoice", description="D"))
    return ann, agent, first, second


async def test_every_change_to_a_ticket_or_its_parts_raises_its_version(settings, filed):
    _ann, agent, ticket, other = filed
    seen = [await version(ticket.id)]

    async def raised() -> None:
        now = await version(ticket.id)
        assert now > seen[-1]
        seen.append(now)

    await Ticket.update({Ticket.priority: "high"}).where(Ticket.id == ticket.id)
    await raised()
    ticket.version = 1  # an object read long ago, saved whole: the version still only goes up
    await ticket.save()
    await raised()
    message = Message(ticket=ticket.id, author=agent.id, body="Which tray?")
    await message.save()
    await raised()
    await Message.update({Message.body: "Which tray, please?"}).where(Message.id == message.id)
    await raised()
    file = Attachment(
        ticket=ticket.id, message=message.id, filename="a.txt", content_type="text/plain", size=1, sha256="0" * 64
    )
    await file.save()
    await raised()
    await Event(ticket=ticket.id, actor=agent.id, kind="status", old="new", new="open", public=True).save()
    await raised()
    follower = Follower(key=f"{ticket.id}:{agent.id}", ticket=ticket.id, follower=agent.id, role="co-executor")
    await follower.save()
    await raised()
    await Rating(key=f"{ticket.id}:1", ticket=ticket.id, resolution=1, score=5, comment="", agent=agent.id).save()
    await raised()
    await Attachment.delete().where(Attachment.id == file.id)
    await raised()

    # A message moved to another ticket (a merge) changes both.
    before_other = await version(other.id)
    await Message.update({Message.ticket: other.id}).where(Message.id == message.id)
    await raised()
    assert await version(other.id) > before_other
    await Message.delete().where(Message.id == message.id)
    assert await version(other.id) > before_other + 1


async def test_raw_sql_from_another_connection_raises_it_too(settings, filed):
    _ann, agent, ticket, _other = filed
    before = await version(ticket.id)
    async with db.write_transaction():
        await Message.raw(
            "INSERT INTO ticket_message (ticket, author, body, internal, created_at) VALUES ({}, {}, 'x', false, {})",
            ticket.id,
            agent.id,
            ticket.created_at,
        )
    assert await version(ticket.id) > before


async def test_the_answers_change_with_the_tickets_they_cover(settings, filed):
    ann, _agent, ticket, _other = filed
    page, listed = await freshness.of_ticket(number_of(ticket.id)), await freshness.of_list(ann, "mine")
    assert await freshness.of_ticket(number_of(ticket.id)) == page and await freshness.of_list(ann, "mine") == listed
    assert await freshness.of_ticket(number_of(999_999)) is None

    await Ticket.update({Ticket.status: "open"}).where(Ticket.id == ticket.id)
    assert await freshness.of_ticket(number_of(ticket.id)) != page
    changed = await freshness.of_list(ann, "mine")
    assert changed != listed
    await open_ticket(settings, ann, NewTicket(type="question", subject="A third one", description="D"))
    assert await freshness.of_list(ann, "mine") != changed

    # Someone else's ticket is not on Ann's list: it does not move her list's answer.
    bob = await create_user(settings, "bob@example.com")
    mine = await freshness.of_list(ann, "mine")
    await open_ticket(settings, bob, NewTicket(type="question", subject="Bob's", description="D"))
    assert await freshness.of_list(ann, "mine") == mine


async def test_a_merged_tickets_page_follows_its_survivor(settings, filed):
    _ann, _agent, duplicate, survivor = filed
    await Ticket.update({Ticket.merged_into: survivor.id}).where(Ticket.id == duplicate.id)
    before = await freshness.of_ticket(number_of(duplicate.id))
    await Ticket.update({Ticket.priority: "high"}).where(Ticket.id == survivor.id)
    assert await freshness.of_ticket(number_of(duplicate.id)) != before
