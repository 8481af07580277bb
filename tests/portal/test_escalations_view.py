"""Supervisors' escalations view: what is escalated and why, acknowledging, reassigning and changing the
priority from it; agents and customers are kept out."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from auth.tables import Organization, Role
from portal.sla import escalation
from portal.sla.tables import Escalation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Ticket
from portal.tickets.visibility import number_of
from tests.helpers import create_user, post_form, sign_in

MSK = ZoneInfo("Europe/Moscow")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)


@pytest.fixture
async def escalated(settings):
    """A ticket nobody took in its 15 minutes of triage, escalated by the pass."""
    org = Organization(name="Acme", support_plan="standard", time_zone="Europe/Moscow")
    await org.save()
    ann = await create_user(settings, "ann@example.com", organization_id=org.id)
    await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent")
    await create_user(settings, "boss@example.com", Role.SUPERVISOR, name="Sam Boss")
    await create_user(settings, "chef@example.com", Role.SUPERVISOR, name="Шеф", locale="ru")
    ticket = await open_ticket(settings, ann, NewTicket("question", "Printer on fire", "Help"))
    triage = MONDAY + timedelta(minutes=15)
    await Ticket.update({Ticket.created_at: MONDAY, Ticket.triage_due: triage, Ticket.escalate_at: MONDAY}).where(
        Ticket.id == ticket.id
    )
    assert await escalation.run_pass(settings, triage) == 2  # announced, and escalated
    return await Ticket.objects().where(Ticket.id == ticket.id).first()


async def _fresh(ticket: Ticket) -> Ticket:
    return await Ticket.objects().where(Ticket.id == ticket.id).first()


async def test_a_supervisor_sees_why_and_since_when_and_acknowledges(client, escalated):
    number = number_of(escalated.id)
    await sign_in(client, "boss@example.com")
    page = await client.get("/staff/escalations")
    assert page.status_code == 200
    assert f'href="/staff/tickets/{number}"' in page.text and "Printer on fire" in page.text
    assert "Not taken in time" in page.text and "Unassigned" in page.text
    assert 'href="/staff/escalations"' in (await client.get("/staff/tickets")).text  # in the staff navigation
    done = await post_form(client, f"/staff/escalations/{number}/acknowledge", {})
    assert done.status_code == 302 and done.headers["location"] == "/staff/escalations?done=escalation_acknowledged"
    after = await client.get(done.headers["location"])
    assert "Nothing is escalated." in after.text and "Printer on fire" not in after.text
    assert (await _fresh(escalated)).escalated_at is None
    (row,) = await Escalation.select().where((Escalation.ticket == escalated.id) & (Escalation.stage == "triage"))
    assert row["acknowledged_at"] is not None


async def test_a_supervisor_reassigns_and_reprioritises_from_the_list(client, settings, escalated):
    from auth.tables import User

    agent = await User.objects().where(User.email == "agent@example.com").first()
    number = number_of(escalated.id)
    await sign_in(client, "boss@example.com")
    moved = await post_form(client, f"/staff/escalations/{number}/priority", {"priority": "high"})
    assert moved.status_code == 302
    assert (await _fresh(escalated)).priority == "high"
    refused = await post_form(client, f"/staff/escalations/{number}/priority", {"priority": "whenever"})
    assert refused.status_code == 400 and (await _fresh(escalated)).priority == "high"
    bad = await post_form(client, f"/staff/escalations/{number}/assign", {"agent": "999999"})
    assert bad.status_code == 400 and (await _fresh(escalated)).assignee is None
    given = await post_form(client, f"/staff/escalations/{number}/assign", {"agent": str(agent.id)})
    assert given.status_code == 302
    fresh = await _fresh(escalated)
    assert fresh.assignee == agent.id and fresh.escalated_at is None  # acted on: off the list
    assert "Printer on fire" not in (await client.get("/staff/escalations")).text


async def test_the_list_speaks_russian_to_a_russian_supervisor(client, escalated):
    await sign_in(client, "chef@example.com")
    page = await client.get("/staff/escalations")
    assert "Не взято вовремя" in page.text and "Эскалации" in page.text


async def test_agents_get_403_and_customers_404_and_forms_need_csrf(client, escalated):
    number = number_of(escalated.id)
    await sign_in(client, "agent@example.com")
    assert (await client.get("/staff/escalations")).status_code == 403
    assert (await post_form(client, f"/staff/escalations/{number}/acknowledge", {})).status_code == 403
    assert 'href="/staff/escalations"' not in (await client.get("/staff/tickets")).text
    client.cookies.clear()
    await sign_in(client, "ann@example.com")
    assert (await client.get("/staff/escalations")).status_code == 404
    client.cookies.clear()
    await sign_in(client, "boss@example.com")
    forged = await client.post(f"/staff/escalations/{number}/acknowledge", data={})
    assert forged.status_code == 403
    assert (await _fresh(escalated)).escalated_at is not None


async def test_each_supervisor_sees_the_groups_they_oversee_and_agents_only_their_own(client, settings):
    from datetime import UTC

    from portal.tickets import groups
    from portal.tickets.queue_views import Choice, listing
    from portal.tickets.tables import TicketType

    ann = await create_user(settings, "ann@example.com")
    sam = await create_user(settings, "sam@example.com", Role.SUPERVISOR, name="Sam Sales")
    await create_user(settings, "pat@example.com", Role.SUPERVISOR, name="Pat Overall")
    alex = await create_user(settings, "alex@example.com", Role.AGENT, name="Alex Repairs")
    sales, repairs = await groups.create_group("Sales"), await groups.create_group("Repairs")
    await groups.add_member(sales.id, sam.id, supervises=True)
    await groups.add_member(repairs.id, alex.id, supervises=False)
    for slug, group in (("pricing_request", sales), ("incident", repairs)):
        kind = await TicketType.objects().where(TicketType.slug == slug).first()
        await groups.route_type(kind.id, group.id)
    filed = {}
    for slug, subject in (("pricing_request", "Price of Premium"), ("incident", "Broken pump"), ("question", "Hours")):
        filed[subject] = await open_ticket(settings, ann, NewTicket(slug, subject, "Please help"))
    await Ticket.update({Ticket.created_at: MONDAY, Ticket.triage_due: MONDAY, Ticket.escalate_at: MONDAY}).where(
        Ticket.id.is_in([t.id for t in filed.values()])
    )
    assert await escalation.run_pass(settings, MONDAY + timedelta(minutes=15)) == 6  # announced and escalated

    await sign_in(client, "sam@example.com")
    page = (await client.get("/staff/escalations")).text
    assert "Price of Premium" in page and "Hours" in page and "Broken pump" not in page
    pump = number_of(filed["Broken pump"].id)
    assert (await post_form(client, f"/staff/escalations/{pump}/acknowledge", {})).status_code == 403
    assert (await post_form(client, f"/staff/escalations/{pump}/priority", {"priority": "high"})).status_code == 403
    assert (await _fresh(filed["Broken pump"])).escalated_at is not None
    client.cookies.clear()
    await sign_in(client, "pat@example.com")
    page = (await client.get("/staff/escalations")).text
    assert all(subject in page for subject in filed)

    found = await listing(alex, Choice(view="all"), datetime.now(UTC))
    flagged = {row["subject"] for row in found.rows if row["escalated_at"]}
    assert flagged == {"Broken pump", "Hours"}  # not the sales group's
    escalated = await listing(alex, Choice(view="escalated"), datetime.now(UTC))
    assert {row["subject"] for row in escalated.rows} == flagged and escalated.counts["escalated"] == 2
    found = await listing(sam, Choice(view="all"), datetime.now(UTC))
    assert {row["subject"] for row in found.rows if row["escalated_at"]} == {"Price of Premium", "Hours"}
