"""Staff groups: admins make them and route a ticket type to one; new tickets of that type land in the
group's pool, its agents hear of them, its supervisors (and those attached to no group) of escalations."""

from datetime import UTC, datetime, timedelta

import pytest

from auth.tables import Role
from portal.notify.tables import OutboxMessage
from portal.sla import escalation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.queue_views import Choice, listing
from portal.tickets.tables import GroupMember, StaffGroup, Ticket, TicketType
from tests.helpers import create_user, post_form, sign_in


@pytest.fixture
async def staff(settings):
    return {
        "ann": await create_user(settings, "ann@example.com"),
        "sally": await create_user(settings, "sally@example.com", Role.AGENT, name="Sally Sales"),
        "alex": await create_user(settings, "alex@example.com", Role.AGENT, name="Alex Support"),
        "sam": await create_user(settings, "sam@example.com", Role.SUPERVISOR, name="Sam Sales Boss"),
        "rita": await create_user(settings, "rita@example.com", Role.SUPERVISOR, name="Rita Repairs Boss"),
        "olga": await create_user(settings, "olga@example.com", Role.SUPERVISOR, name="Olga Oversees All"),
        "root": await create_user(settings, "root@example.com", Role.ADMIN, name="Root"),
    }


async def _group(client, name: str) -> int:
    response = await post_form(client, "/admin/groups", {"name": name})
    assert response.status_code == 302, response.text
    return (await StaffGroup.objects().where(StaffGroup.name == name).first()).id


async def _add(client, group: int, user, supervises: bool = False):
    return await post_form(
        client, f"/admin/groups/{group}/members", {"member": str(user.id), "supervises": "1" if supervises else ""}
    )


async def _recipients(stage_word: str) -> set[str]:
    rows = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.subject)
    # The customer's receipt names the subject too: only staff mail counts here.
    return {
        row["to_address"] for row in rows if stage_word in row["subject"] and row["to_address"] != "ann@example.com"
    }


async def test_a_type_routed_to_a_group_lands_there_and_only_its_people_hear_of_it(client, settings, staff):
    await sign_in(client, "root@example.com")
    sales, repairs = await _group(client, "Sales"), await _group(client, "Repairs")
    assert (await _add(client, sales, staff["sally"])).status_code == 302
    assert (await _add(client, sales, staff["sam"], supervises=True)).status_code == 302
    assert (await _add(client, repairs, staff["rita"], supervises=True)).status_code == 302
    page = await client.get("/admin/groups")
    assert "Sally Sales" in page.text and "Sam Sales Boss" in page.text
    pricing = await TicketType.objects().where(TicketType.slug == "pricing_request").first()
    routed = await post_form(client, f"/admin/ticket-types/{pricing.id}/group", {"group": str(sales)})
    assert routed.status_code == 302
    assert "selected>Sales</option>" in (await client.get("/admin/ticket-types")).text

    ticket = await open_ticket(settings, staff["ann"], NewTicket("pricing_request", "How much is Premium?", "Prices?"))
    other = await open_ticket(settings, staff["ann"], NewTicket("incident", "Printer on fire", "Help"))
    assert (await Ticket.objects().where(Ticket.id == ticket.id).first()).staff_group == sales
    assert (await Ticket.objects().where(Ticket.id == other.id).first()).staff_group is None

    now = datetime.now(UTC)
    await escalation.run_pass(settings, now)
    # The group's pool: only its agent hears of the routed ticket; every agent of the ungrouped one.
    assert await _recipients("How much is Premium?") == {"sally@example.com"}
    assert {"sally@example.com", "alex@example.com"} <= await _recipients("Printer on fire")

    await OutboxMessage.delete(force=True)
    await Ticket.update({Ticket.triage_due: now, Ticket.escalate_at: now}).where(Ticket.id.is_in([ticket.id, other.id]))
    await escalation.run_pass(settings, now + timedelta(seconds=1))
    # Triage of the routed ticket: its own supervisor and the one overseeing all, not Repairs' supervisor.
    assert await _recipients("How much is Premium?") == {"sam@example.com", "olga@example.com"}
    # Without a group: all supervisors.
    assert {"sam@example.com", "rita@example.com", "olga@example.com"} <= await _recipients("Printer on fire")


async def test_my_groups_lists_the_pools_of_my_groups(client, settings, staff):
    await sign_in(client, "root@example.com")
    sales = await _group(client, "Sales")
    await _add(client, sales, staff["sally"])
    pricing = await TicketType.objects().where(TicketType.slug == "pricing_request").first()
    await post_form(client, f"/admin/ticket-types/{pricing.id}/group", {"group": str(sales)})
    ticket = await open_ticket(settings, staff["ann"], NewTicket("pricing_request", "How much is Premium?", "Prices?"))
    await open_ticket(settings, staff["ann"], NewTicket("incident", "Printer on fire", "Help"))
    now = datetime.now(UTC)

    async def mine(user) -> list[int]:
        return [row["id"] for row in (await listing(user, Choice(view="groups"), now)).rows]

    assert await mine(staff["sally"]) == [ticket.id]
    assert await mine(staff["alex"]) == []
    client.cookies.clear()
    await sign_in(client, "sally@example.com")
    page = await client.get("/staff/tickets?view=groups")
    assert "How much is Premium?" in page.text and "Printer on fire" not in page.text
    assert "My groups" in page.text


async def test_admin_refuses_bad_groups_and_members_with_the_reason(client, staff):
    await sign_in(client, "root@example.com")
    empty = await post_form(client, "/admin/groups", {"name": "   "})
    assert empty.status_code == 400 and "Enter the group" in empty.text
    sales = await _group(client, "Sales")
    again = await post_form(client, "/admin/groups", {"name": "Sales"})
    assert again.status_code == 400 and "already exists" in again.text
    customer = await _add(client, sales, staff["ann"])
    assert customer.status_code == 400 and "Choose an active agent" in customer.text
    agent_as_boss = await _add(client, sales, staff["alex"], supervises=True)
    assert agent_as_boss.status_code == 400 and "Only a supervisor" in agent_as_boss.text
    assert await GroupMember.count() == 0
    assert await StaffGroup.count() == 1
    missing = await post_form(client, "/admin/groups/999999/members", {"member": str(staff["alex"].id)})
    assert missing.status_code == 404
    await _add(client, sales, staff["alex"])
    removed = await post_form(client, f"/admin/groups/{sales}/members/{staff['alex'].id}/remove", {})
    assert removed.status_code == 302 and await GroupMember.count() == 0


async def test_only_admins_manage_groups(client, staff):
    await sign_in(client, "olga@example.com")
    assert (await client.get("/admin/groups")).status_code == 403
    assert (await post_form(client, "/admin/groups", {"name": "Rogue"})).status_code == 403
    assert await StaffGroup.count() == 0
