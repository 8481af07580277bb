"""The conversation and the workflow: replies, notes, pauses, reopening, closing, and their mail."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from auth import organizations
from auth.tables import Role, SupportPlan
from portal.notify.tables import OutboxMessage
from portal.tickets import conversation, ratings, visibility
from portal.tickets.errors import NotAllowed, TicketError, TicketNotFound
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Event, Message, Rating, Ticket
from portal.tickets.visibility import number_of
from portal.tickets.workflow import InvalidTransition
from tests.helpers import create_user


@pytest.fixture
async def people(settings):
    return {
        "ann": await create_user(settings, "ann@example.com", name="Ann"),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Boris Agent"),
    }


async def _ticket(settings, who, subject="Router keeps rebooting"):
    return await open_ticket(settings, who, NewTicket(type="incident", subject=subject, description="Since Monday."))


async def _mails(to):
    return await OutboxMessage.objects().where(OutboxMessage.to_address == to).order_by(OutboxMessage.id)


async def test_a_staff_reply_is_the_first_response_and_is_mailed(settings, people):
    ticket = await _ticket(settings, people["ann"])
    await conversation.reply(settings, people["agent"], ticket, "Please update the firmware.", then="pending")
    ticket = await Ticket.objects().where(Ticket.id == ticket.id).first()
    assert ticket.first_responded_at is not None and ticket.status == "pending" and ticket.paused_at
    mails = await _mails("ann@example.com")
    reply = next(m for m in mails if "answered your ticket" in m.body_text)
    assert "Please update the firmware." in reply.body_text and reply.subject.startswith(f"[#{number_of(ticket.id)}]")
    assert any("We need an answer from you" in m.body_text for m in mails)


async def test_internal_notes_never_reach_the_customer(settings, people):
    ticket = await _ticket(settings, people["ann"])
    before = len(await _mails("ann@example.com"))
    await conversation.reply(
        settings, people["agent"], ticket, "Customer is on old firmware; secret detail.", internal=True
    )
    mails = await _mails("ann@example.com")
    assert len(mails) == before
    assert not any("secret detail" in m.body_text or "secret detail" in m.body_html for m in mails)
    with pytest.raises(NotAllowed):
        await conversation.reply(settings, people["ann"], ticket, "I want to see notes", internal=True)


async def test_the_customers_reply_reopens_a_pending_ticket_and_the_clock_moves_on(settings, people):
    ticket = await _ticket(settings, people["ann"])
    due = ticket.resolution_due
    await conversation.change_status(settings, people["agent"], ticket, "pending")
    paused = datetime.now(UTC) - timedelta(days=3)  # as if it had waited three days
    await Ticket.update({Ticket.paused_at: paused}).where(Ticket.id == ticket.id)
    ticket = await Ticket.objects().where(Ticket.id == ticket.id).first()
    await conversation.reply(settings, people["ann"], ticket, "Done, still rebooting.")
    ticket = await Ticket.objects().where(Ticket.id == ticket.id).first()
    assert ticket.status == "open" and ticket.paused_at is None
    assert ticket.resolution_due > due  # the business time spent waiting was given back


async def test_resolve_rate_reopen_and_rate_the_new_resolution(settings, people):
    ticket = await _ticket(settings, people["ann"])
    await Ticket.update({Ticket.assignee: people["agent"].id}).where(Ticket.id == ticket.id)
    ticket = await Ticket.objects().where(Ticket.id == ticket.id).first()
    await conversation.change_status(settings, people["agent"], ticket, "resolved")
    resolved_mail = (await _mails("ann@example.com"))[-1]
    assert "is resolved" in resolved_mail.body_text and "/rate/" in resolved_mail.body_text
    token = resolved_mail.body_text.split("/rate/")[1].split()[0]
    link = ratings.read_token(settings.secret_key, token)
    assert (link.ticket_id, link.resolution) == (ticket.id, 1)

    await ratings.rate(ticket, 1, 4, "Quick, thanks")
    with pytest.raises(TicketError) as again:
        await ratings.rate(ticket, 1, 5)
    assert again.value.code == "already_rated"
    rating = await Rating.objects().first()
    assert (rating.score, rating.agent) == (4, people["agent"].id)

    await conversation.reply(settings, people["ann"], ticket, "It broke again.")
    ticket = await Ticket.objects().where(Ticket.id == ticket.id).first()
    assert ticket.status == "open"
    assert await Event.exists().where((Event.ticket == ticket.id) & (Event.kind == "reopened"))
    with pytest.raises(TicketError):
        await ratings.rate(ticket, 2, 5)  # nothing to rate until it is resolved again
    await conversation.change_status(settings, people["agent"], ticket, "resolved")
    ticket = await Ticket.objects().where(Ticket.id == ticket.id).first()
    await ratings.rate(ticket, 2, 2, "Took two tries")
    assert await Rating.count().where(Rating.ticket == ticket.id) == 2


async def test_rating_links_are_signed_and_expire(settings):
    token = ratings.make_token(settings.secret_key, 7, 1)
    assert ratings.read_token(settings.secret_key, token).ticket_id == 7
    for bad in [token[:-2] + "xx", token.replace("7.1.", "8.1.", 1), "garbage", ""]:
        with pytest.raises(TicketError):
            ratings.read_token(settings.secret_key, bad)
    old = ratings.make_token(settings.secret_key, 7, 1, now=datetime.now(UTC) - timedelta(days=29))
    with pytest.raises(TicketError):
        ratings.read_token(settings.secret_key, old)


async def test_late_replies_do_not_reopen_and_closed_is_final(settings, people):
    ticket = await _ticket(settings, people["ann"])
    await conversation.change_status(settings, people["agent"], ticket, "resolved")
    await Ticket.update({Ticket.resolved_at: datetime.now(UTC) - timedelta(days=15)}).where(Ticket.id == ticket.id)
    ticket = await Ticket.objects().where(Ticket.id == ticket.id).first()
    with pytest.raises(TicketError) as late:
        await conversation.reply(settings, people["ann"], ticket, "Hello again")
    assert late.value.code == "reopen_expired"
    await conversation.close_by_customer(settings, people["ann"], ticket)
    with pytest.raises(TicketError):
        await conversation.reply(settings, people["ann"], ticket, "Hello?")
    with pytest.raises(InvalidTransition):
        await conversation.change_status(settings, people["agent"], ticket, "open")


async def test_resolved_tickets_close_themselves_after_a_week(settings, people):
    old = await _ticket(settings, people["ann"], "Old one")
    fresh = await _ticket(settings, people["ann"], "Fresh one")
    for ticket in (old, fresh):
        await conversation.change_status(settings, people["agent"], ticket, "resolved")
    await Ticket.update({Ticket.resolved_at: datetime.now(UTC) - timedelta(days=8)}).where(Ticket.id == old.id)
    assert await conversation.close_resolved(settings) == 1
    statuses = {t["subject"]: t["status"] for t in await Ticket.select(Ticket.subject, Ticket.status)}
    assert statuses == {"Old one": "closed", "Fresh one": "resolved"}
    assert "is closed" in (await _mails("ann@example.com"))[-1].body_text


async def test_two_closers_at_once_close_a_ticket_once(settings, people):
    tickets = [await _ticket(settings, people["ann"], f"Old {n}") for n in range(3)]
    for ticket in tickets:
        await conversation.change_status(settings, people["agent"], ticket, "resolved")
    await Ticket.update({Ticket.resolved_at: datetime.now(UTC) - timedelta(days=8)}).where(Ticket.id > 0)
    await asyncio.gather(*(conversation.close_resolved(settings) for _ in range(3)))
    assert {t["status"] for t in await Ticket.select(Ticket.status)} == {"closed"}
    closed = [m for m in await _mails("ann@example.com") if "is closed" in m.body_text]
    assert len(closed) == 3  # one a ticket
    assert await Event.count().where(Event.kind == "status") == 6  # resolved, then closed, once each


async def test_two_agents_resolving_at_once_resolve_once_and_keep_each_others_changes(settings, people):
    from portal.tickets import assignment

    ticket = await _ticket(settings, people["ann"])
    read_by = [await Ticket.objects().where(Ticket.id == ticket.id).first() for _ in range(3)]  # three pages open
    await assignment.assign(settings, people["agent"], read_by[2], people["agent"].id)
    mails_before = len(await _mails("ann@example.com"))
    outcomes = await asyncio.gather(
        *(conversation.change_status(settings, people["agent"], copy, "resolved") for copy in read_by[:2]),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["InvalidTransition", "Ticket"]
    row = await Ticket.select(Ticket.status, Ticket.resolutions, Ticket.assignee).where(Ticket.id == ticket.id).first()
    # One resolution, one mail, and the assignment made meanwhile is not undone by the stale copy.
    assert row == {"status": "resolved", "resolutions": 1, "assignee": people["agent"].id}
    assert len(await _mails("ann@example.com")) == mails_before + 1


async def test_ratings_from_pages_read_before_a_reopening_are_refused(settings, people):
    ticket = await _ticket(settings, people["ann"])
    await conversation.change_status(settings, people["agent"], ticket, "resolved")
    read_by = [await visibility.get_for(people["ann"], number_of(ticket.id)) for _ in range(3)]  # three tabs
    await conversation.reply(settings, people["ann"], read_by[2], "It broke again.")
    outcomes = await asyncio.gather(
        *(ratings.rate_latest(people["ann"], copy, 5) for copy in read_by[:2]), return_exceptions=True
    )
    # The resolution they rate was reopened: nothing to rate until it is resolved again.
    assert [getattr(o, "code", o) for o in outcomes] == ["rating_not_open", "rating_not_open"]
    assert await Rating.count() == 0


async def test_customers_see_their_own_tickets_and_their_shared_organizations(settings, people):
    org = await organizations.create("Acme", SupportPlan.STANDARD, shares_tickets=False)
    ann = await create_user(settings, "ann2@example.com", organization_id=org.id)
    cat = await create_user(settings, "cat@example.com", organization_id=org.id)
    mine = await _ticket(settings, ann)
    with pytest.raises(TicketNotFound):
        await visibility.get_for(cat, number_of(mine.id))
    await organizations.update(org, SupportPlan.STANDARD, shares_tickets=True)
    cat = await type(cat).objects().where(type(cat).id == cat.id).first()
    assert (await visibility.get_for(cat, number_of(mine.id))).id == mine.id
    with pytest.raises(TicketNotFound):
        await visibility.get_for(people["ann"], number_of(mine.id))
    assert (await visibility.get_for(people["agent"], number_of(mine.id))).id == mine.id
    assert await Message.count() == 0


async def test_the_auto_close_delay_is_configurable(tmp_path, database_url, people):
    from tests.conftest import make_settings

    patient = make_settings(tmp_path, database_url, PORTAL_AUTO_CLOSE_DAYS="30")
    ticket = await _ticket(patient, people["ann"])
    await conversation.change_status(patient, people["agent"], ticket, "resolved")
    await Ticket.update({Ticket.resolved_at: datetime.now(UTC) - timedelta(days=8)}).where(Ticket.id == ticket.id)
    assert await conversation.close_resolved(patient) == 0


async def test_the_database_refuses_a_score_outside_one_to_five(settings, people):
    ticket = await _ticket(settings, people["ann"])
    with pytest.raises(Exception, match=r"(?i)score|check|constraint"):
        await Rating(key=f"{ticket.id}:1", ticket=ticket.id, resolution=1, score=7).save()
    assert await Rating.count() == 0


async def test_a_holiday_of_the_organization_during_a_pause_is_not_counted(settings, people):
    from zoneinfo import ZoneInfo

    from portal.accounts.organizations_admin import OrganizationSettings, configure
    from portal.sla import levels
    from portal.sla.tables import Holiday, HolidayCalendar

    zone = "Asia/Vladivostok"
    org = await organizations.create("Acme", SupportPlan.STANDARD)
    org.time_zone = zone
    await org.save()
    bob = await create_user(settings, "bob@example.com", name="Bob", organization_id=org.id)
    ticket = await _ticket(settings, bob)
    await conversation.change_status(settings, people["agent"], ticket, "pending")
    paused = datetime.now(UTC) - timedelta(days=7)
    # A working day of the week it waited is the organization's holiday, in its own time zone.
    day = (paused + timedelta(days=2)).astimezone(ZoneInfo(zone)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    calendar = HolidayCalendar(slug="acme", name="Acme")
    await calendar.save()
    await Holiday(calendar=calendar.id, day=day, name="Founders' day").save()
    # As an admin chooses it (filing the ticket above read the organization's days off before).
    await configure(org.id, OrganizationSettings(time_zone=zone, calendar=str(calendar.id)))
    await Ticket.update({Ticket.paused_at: paused}).where(Ticket.id == ticket.id)
    ticket = await Ticket.objects().where(Ticket.id == ticket.id).first()
    due = ticket.resolution_due

    await conversation.reply(settings, bob, ticket, "Done, still rebooting.")
    ticket = await Ticket.objects().where(Ticket.id == ticket.id).first()
    own = (await levels.level("standard", "normal", "incident", zone, settings.holidays, org.id)).calendar
    assert day in own.holidays and own.time_zone == zone
    assert ticket.resolution_due == own.add(due, own.between(paused, ticket.updated_at))
    without = (await levels.level("standard", "normal", "incident", zone, settings.holidays)).calendar
    assert ticket.resolution_due != without.add(due, without.between(paused, ticket.updated_at))
