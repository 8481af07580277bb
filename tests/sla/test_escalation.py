"""Escalation with a controllable clock: new tickets announced, triage at its minute in business time,
the warning and the breach, once only across two instances, in the recipient's language, on the
timeline and as the queue's flag until someone acts."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from auth.tables import Organization, Role
from portal.notify.tables import OutboxMessage
from portal.sla import escalation
from portal.sla.tables import Escalation, Holiday, HolidayCalendar
from portal.tickets import assignment, conversation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.queue_views import Choice, listing
from portal.tickets.tables import Event, Ticket
from portal.tickets.visibility import number_of
from tests.helpers import create_user

MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
async def people(settings):
    org = Organization(name="Acme", support_plan="standard", time_zone="Europe/Moscow")
    await org.save()
    return {
        "ann": await create_user(settings, "ann@example.com", organization_id=org.id),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "boss": await create_user(settings, "boss@example.com", Role.SUPERVISOR, name="Sam Boss"),
        "chef": await create_user(settings, "chef@example.com", Role.SUPERVISOR, name="Шеф", locale="ru"),
        "org": org,
    }


async def _file(settings, customer, filed: datetime, **fields) -> Ticket:
    """A ticket as if filed at `filed`: its moments are those the plan gives for that moment."""
    from portal.sla import levels

    ticket = await open_ticket(settings, customer, NewTicket(fields.get("type", "question"), "Printer on fire", "Help"))
    due = await levels.deadlines("standard", fields.get("priority", "normal"), ticket.type, filed, "Europe/Moscow")
    await Ticket.update(
        {
            Ticket.created_at: filed,
            Ticket.first_response_due: due.first_response,
            Ticket.resolution_due: due.resolution,
            Ticket.triage_due: due.triage,
            Ticket.first_response_warn_at: due.first_response_warning,
            Ticket.resolution_warn_at: due.resolution_warning,
            Ticket.escalate_at: filed,
        }
    ).where(Ticket.id == ticket.id)
    return await Ticket.objects().where(Ticket.id == ticket.id).first()


async def _mails(to: str, stage_word: str = "") -> list[OutboxMessage]:
    rows = await OutboxMessage.objects().where(OutboxMessage.to_address == to).order_by(OutboxMessage.id)
    return [m for m in rows if stage_word in m.subject]


async def _stages(ticket: Ticket) -> list[str]:
    return [r["stage"] for r in await Escalation.select(Escalation.stage).where(Escalation.ticket == ticket.id)]


async def test_a_new_ticket_nobody_takes_is_announced_to_the_agents_at_once(settings, people):
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    ticket = await _file(settings, people["ann"], monday)
    assert await escalation.run_pass(settings, monday + timedelta(seconds=5)) == 1
    (mail,) = await _mails("agent@example.com")
    assert mail.subject == f"[#{number_of(ticket.id)}] New ticket: Printer on fire"
    assert f"http://portal.test/staff/tickets/{number_of(ticket.id)}" in mail.body_text
    assert not await _mails("boss@example.com")
    assert (await Ticket.objects().where(Ticket.id == ticket.id).first()).escalated_at is None


async def test_a_ticket_with_a_coordinator_is_not_announced(settings, people):
    await Organization.update({Organization.coordinator: people["agent"].id}).where(Organization.id == people["org"].id)
    ticket = await open_ticket(settings, people["ann"], NewTicket("question", "Printer on fire", "Help"))
    assert ticket.assignee == people["agent"].id
    assert await escalation.run_pass(settings, datetime.now(UTC) + timedelta(seconds=5)) == 0
    assert not await _mails("agent@example.com", "New ticket")


async def test_triage_reaches_the_supervisors_at_fifteen_minutes_not_fourteen(settings, people):
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    ticket = await _file(settings, people["ann"], monday)
    await escalation.run_pass(settings, monday + timedelta(minutes=14, seconds=59))
    assert not await _mails("boss@example.com")
    assert await escalation.run_pass(settings, monday + timedelta(minutes=15)) == 1
    (boss,) = await _mails("boss@example.com")
    (chef,) = await _mails("chef@example.com")
    number = number_of(ticket.id)
    assert boss.subject == f"[#{number}] Not taken in time: Printer on fire"
    assert "7:15" in boss.body_text and f"/staff/tickets/{number}" in boss.body_text
    assert chef.subject == f"[#{number}] Не взято вовремя: Printer on fire"  # the supervisor's own language
    assert "никто не взял" in chef.body_text
    # Once: the next passes send nothing more for this stage.
    assert await escalation.run_pass(settings, monday + timedelta(minutes=16)) == 0
    assert len(await _mails("boss@example.com")) == 1
    events = await Event.select().where((Event.ticket == ticket.id) & (Event.kind == "escalated"))
    assert [(e["new"], e["public"]) for e in events] == [("triage", False)]


async def test_supervisors_sharing_a_language_each_get_their_own_greeting(settings, people):
    await create_user(settings, "pat@example.com", Role.SUPERVISOR, name="Pat <Ops> & Co")
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    await _file(settings, people["ann"], monday)
    await escalation.run_pass(settings, monday + timedelta(minutes=15))
    (boss,) = await _mails("boss@example.com")
    (pat,) = await _mails("pat@example.com")
    assert boss.subject == pat.subject
    assert "Hello Sam Boss," in boss.body_text and "Pat" not in boss.body_text
    assert "Hello Pat <Ops> & Co," in pat.body_text
    assert "Pat &lt;Ops&gt; &amp; Co" in pat.body_html and "<Ops>" not in pat.body_html


async def test_triage_counts_business_hours_from_monday_morning(settings, people):
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=MSK)
    await _file(settings, people["ann"], saturday)
    for moment in (saturday + timedelta(hours=3), datetime(2026, 11, 30, 9, 14, tzinfo=MSK)):
        await escalation.run_pass(settings, moment)
        assert not await _mails("boss@example.com"), moment
    await escalation.run_pass(settings, datetime(2026, 11, 30, 9, 15, tzinfo=MSK))
    assert len(await _mails("boss@example.com", "Not taken")) == 1


async def test_a_holiday_of_the_plan_moves_triage_to_the_next_working_day(settings, people):
    calendar = await HolidayCalendar.objects().where(HolidayCalendar.slug == "default").first()
    await Holiday(calendar=calendar.id, day=date(2026, 11, 30)).save()
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=MSK)
    await _file(settings, people["ann"], saturday)
    await escalation.run_pass(settings, datetime(2026, 11, 30, 9, 15, tzinfo=MSK))
    assert not await _mails("boss@example.com")
    await escalation.run_pass(settings, datetime(2026, 12, 1, 9, 15, tzinfo=MSK))
    assert len(await _mails("boss@example.com", "Not taken")) == 1


async def test_the_assignee_is_warned_at_80_percent_and_the_supervisors_told_at_the_breach(settings, people):
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    ticket = await _file(settings, people["ann"], monday)
    await Ticket.update({Ticket.assignee: people["agent"].id, Ticket.status: "open"}).where(Ticket.id == ticket.id)
    # Normal on Standard: first response in 8 working hours (18:00); 80% of them, 6 h 24 min, pass at 16:24.
    await escalation.run_pass(settings, datetime(2026, 11, 23, 16, 23, tzinfo=MSK))
    assert not await _mails("agent@example.com", "First response")
    await escalation.run_pass(settings, datetime(2026, 11, 23, 16, 24, tzinfo=MSK))
    (warning,) = await _mails("agent@example.com", "First response due soon")
    assert "November 23, 2026, 3:00" in warning.body_text  # 18:00 in Moscow, in the agent's UTC
    assert not await _mails("boss@example.com", "First response")
    await escalation.run_pass(settings, datetime(2026, 11, 23, 17, 59, tzinfo=MSK))
    assert not await _mails("boss@example.com", "First response overdue")
    await escalation.run_pass(settings, datetime(2026, 11, 23, 18, 0, tzinfo=MSK))
    assert len(await _mails("boss@example.com", "First response overdue")) == 1
    assert len(await _mails("chef@example.com", "Первый ответ просрочен")) == 1
    assert "first_response_breach" in await _stages(ticket)


async def test_an_answered_ticket_is_not_warned_about_its_first_response(settings, people):
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    ticket = await _file(settings, people["ann"], monday)
    await conversation.reply(settings, people["agent"], ticket, "On it")
    await escalation.run_pass(settings, datetime(2026, 11, 24, 9, 0, tzinfo=MSK))
    assert not [s for s in await _stages(ticket) if s.startswith("first_response") or s == "triage"]


async def test_the_resolution_warning_waits_while_the_customer_is_asked(settings, people):
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    ticket = await _file(settings, people["ann"], monday, priority="high")  # resolution in 18 working hours
    await Ticket.update({Ticket.first_responded_at: monday, Ticket.status: "pending", Ticket.paused_at: monday}).where(
        Ticket.id == ticket.id
    )
    stored = await Ticket.objects().where(Ticket.id == ticket.id).first()
    await escalation.run_pass(settings, stored.resolution_due + timedelta(hours=1))
    assert not [s for s in await _stages(ticket) if s.startswith("resolution")]


async def test_each_escalation_is_sent_once_by_two_instances_at_once(tmp_path, settings, people):
    from tests.conftest import make_settings

    other = make_settings(tmp_path / "other", settings.database_url)
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    tickets = [await _file(settings, people["ann"], monday) for _ in range(6)]
    moment = monday + timedelta(minutes=15)
    made = await asyncio.gather(escalation.run_pass(settings, moment), escalation.run_pass(other, moment))
    assert sum(made) == 12  # announcement and triage of six tickets, each by one of them
    assert len(await _mails("boss@example.com", "Not taken")) == 6
    assert len(await _mails("agent@example.com", "New ticket")) == 6
    for ticket in tickets:
        assert sorted(await _stages(ticket)) == ["announce", "triage"]
        assert await Event.count().where((Event.ticket == ticket.id) & (Event.kind == "escalated")) == 1


async def test_the_escalated_flag_shows_in_the_queue_until_someone_acts(settings, people):
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    first, second, third = [await _file(settings, people["ann"], monday) for _ in range(3)]
    await escalation.run_pass(settings, monday + timedelta(minutes=15))

    async def flagged() -> set[int]:
        found = await listing(people["boss"], Choice(), monday + timedelta(minutes=20))
        return {row["id"] for row in found.rows if row["escalated_at"]}

    assert await flagged() == {first.id, second.id, third.id}
    await assignment.assign(settings, people["boss"], first, people["agent"].id)
    await conversation.reply(settings, people["agent"], second, "Looking into it", internal=True)
    assert await escalation.acknowledge(people["boss"].id, third.id)
    assert await flagged() == set()
    acknowledged = await Escalation.select().where((Escalation.ticket == third.id) & (Escalation.stage == "triage"))
    assert [row["acknowledged_by"] for row in acknowledged] == [people["boss"].id]


async def test_staff_see_the_escalation_in_the_queue_and_the_timeline_in_their_language(client, settings, people):
    from tests.helpers import sign_in

    monday = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    ticket = await _file(settings, people["ann"], monday)
    await escalation.run_pass(settings, monday + timedelta(minutes=15))
    await sign_in(client, "boss@example.com")
    queue = await client.get("/staff/tickets")
    assert queue.status_code == 200 and "Escalated" in queue.text
    page = await client.get(f"/staff/tickets/{number_of(ticket.id)}")
    assert "Escalated: Not taken in time" in page.text
    client.cookies.clear()
    await sign_in(client, "chef@example.com")  # a supervisor who reads Russian
    russian = await client.get(f"/staff/tickets/{number_of(ticket.id)}")
    assert "Эскалация: Не взято вовремя" in russian.text
