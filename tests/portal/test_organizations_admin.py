"""Admins manage an organization: its personal coordinator (assigned to every new ticket), time zone,
holiday calendar and members, on /admin/organizations/{id} and with `portal org`."""

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from auth.tables import Organization, Role, User
from portal.cli import main
from portal.sla import levels
from portal.sla.tables import Escalation, Holiday, HolidayCalendar, OrganizationCalendar
from portal.tickets.filing import NewTicket, open_ticket
from tests.helpers import create_user, post_form, sign_in


@pytest.fixture
async def acme(settings):
    org = Organization(name="Acme", support_plan="standard")
    await org.save()
    calendar = HolidayCalendar(slug="acme_days", name="Acme days off")
    await calendar.save()
    await Holiday(calendar=calendar.id, day=date(2026, 11, 30), name="Founders' day").save()
    return {
        "org": org,
        "calendar": calendar,
        "ann": await create_user(settings, "ann@example.com", organization_id=org.id),
        "bob": await create_user(settings, "bob@example.com", name="Bob Outsider"),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "root": await create_user(settings, "root@example.com", Role.ADMIN, name="Root"),
    }


async def _org(org) -> Organization:
    return await Organization.objects().where(Organization.id == org.id).first()


async def test_the_coordinator_set_on_the_admin_page_gets_the_next_ticket(client, settings, acme):
    await sign_in(client, "root@example.com")
    page = await client.get(f"/admin/organizations/{acme['org'].id}")
    assert page.status_code == 200 and "Personal coordinator" in page.text and "Ann Example" in page.text
    saved = await post_form(
        client,
        f"/admin/organizations/{acme['org'].id}/settings",
        {"coordinator": str(acme["agent"].id), "time_zone": "Europe/Moscow", "calendar": str(acme["calendar"].id)},
    )
    assert saved.status_code == 302
    org = await _org(acme["org"])
    assert org.coordinator == acme["agent"].id and org.time_zone == "Europe/Moscow"
    ticket = await open_ticket(settings, acme["ann"], NewTicket("question", "Printer on fire", "Help"))
    assert ticket.assignee == acme["agent"].id
    # Taken by its coordinator: nobody is told of a new ticket waiting.
    from portal.sla import escalation

    await escalation.run_pass(settings, ticket.created_at)
    assert await Escalation.count().where(Escalation.ticket == ticket.id) == 0


async def test_the_organizations_holiday_calendar_moves_its_deadlines(client, acme):
    await sign_in(client, "root@example.com")
    await post_form(
        client,
        f"/admin/organizations/{acme['org'].id}/settings",
        {"coordinator": "", "time_zone": "Europe/Moscow", "calendar": str(acme["calendar"].id)},
    )
    msk = ZoneInfo("Europe/Moscow")
    friday = datetime(2026, 11, 27, 17, 0, tzinfo=msk)  # one business hour left that day
    other = await levels.deadlines("standard", "high", "question", friday, "Europe/Moscow")
    own = await levels.deadlines("standard", "high", "question", friday, "Europe/Moscow", organization=acme["org"].id)
    # 4 business hours: 1 on Friday, 3 on Monday, unless Monday is the organization's holiday.
    assert other.first_response == datetime(2026, 11, 30, 12, 0, tzinfo=msk)
    assert own.first_response == datetime(2026, 12, 1, 12, 0, tzinfo=msk)


async def test_bad_settings_are_refused_with_the_reason_and_nothing_changes(client, acme):
    await sign_in(client, "root@example.com")
    url = f"/admin/organizations/{acme['org'].id}/settings"
    customer = await post_form(client, url, {"coordinator": str(acme["bob"].id), "time_zone": "UTC"})
    assert customer.status_code == 400 and "active staff member" in customer.text
    zone = await post_form(client, url, {"coordinator": str(acme["agent"].id), "time_zone": "Mars/Olympus"})
    assert zone.status_code == 400 and "time zone" in zone.text
    calendar = await post_form(client, url, {"time_zone": "UTC", "calendar": "999999"})
    assert calendar.status_code == 400 and "holiday calendar" in calendar.text
    org = await _org(acme["org"])
    assert org.coordinator is None and org.time_zone == "UTC"
    assert await OrganizationCalendar.count() == 0


async def test_admins_add_and_remove_members(client, acme):
    await sign_in(client, "root@example.com")
    base = f"/admin/organizations/{acme['org'].id}"
    added = await post_form(client, f"{base}/members", {"email": "bob@example.com"})
    assert added.status_code == 302
    assert (await User.objects().where(User.id == acme["bob"].id).first()).organization == acme["org"].id
    staff = await post_form(client, f"{base}/members", {"email": "agent@example.com"})
    assert staff.status_code == 400 and "existing customer account" in staff.text
    removed = await post_form(client, f"{base}/members/{acme['ann'].id}/remove", {})
    assert removed.status_code == 302
    assert (await User.objects().where(User.id == acme["ann"].id).first()).organization is None
    client.cookies.clear()
    await sign_in(client, "agent@example.com")
    assert (await client.get(base)).status_code == 403
    assert (await post_form(client, f"{base}/members", {"email": "ann@example.com"})).status_code == 403


async def test_the_org_command_creates_lists_and_sets(settings, database_url, monkeypatch, acme):
    monkeypatch.setenv("PORTAL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    runner = CliRunner()

    async def run(*args):
        return await asyncio.to_thread(runner.invoke, main, list(args))

    made = await run("org", "create", "Globex", "--plan", "premium")
    assert made.exit_code == 0, made.output
    configured = await run(
        "org", "set", "Globex", "--coordinator", "agent@example.com", "--time-zone", "Asia/Tokyo",
        "--calendar", "acme_days", "--add-member", "bob@example.com",
    )  # fmt: skip
    assert configured.exit_code == 0, configured.output
    globex = await Organization.objects().where(Organization.name == "Globex").first()
    assert globex.support_plan == "premium" and globex.coordinator == acme["agent"].id
    assert globex.time_zone == "Asia/Tokyo"
    assert (await User.objects().where(User.id == acme["bob"].id).first()).organization == globex.id
    assert await OrganizationCalendar.count().where(OrganizationCalendar.organization == globex.id) == 1
    listed = await run("org", "list")
    assert "Globex\tpremium\t1 members\tcoordinator agent@example.com\tAsia/Tokyo" in listed.output
    refused = await run("org", "set", "Globex", "--time-zone", "Nowhere/Land")
    assert refused.exit_code != 0 and "time_zone" in refused.output
    assert (await Organization.objects().where(Organization.id == globex.id).first()).time_zone == "Asia/Tokyo"
