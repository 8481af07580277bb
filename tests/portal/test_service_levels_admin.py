"""Admins edit service levels on /admin/service-levels: plans, targets, the week, triage time and holiday
calendars; bad input is refused with its reason and changes nothing; tickets filed later follow."""

import json
from datetime import date, timedelta

import pytest

from auth.tables import Organization, Role
from portal.sla import levels
from portal.sla.tables import Holiday, HolidayCalendar, ServiceTarget, SupportPlan
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.visibility import number_of
from tests.helpers import create_user, post_form, sign_in

URL = "/admin/service-levels"


@pytest.fixture
async def admin(client, settings):
    await create_user(settings, "root@example.com", Role.ADMIN, name="Root")
    await sign_in(client, "root@example.com")
    return client


async def _plan(slug: str = "standard") -> SupportPlan:
    return await SupportPlan.objects().where(SupportPlan.slug == slug).first()


async def _target(plan: SupportPlan, priority: str, ticket_type: str = "") -> dict | None:
    return (
        await ServiceTarget.select()
        .where(
            (ServiceTarget.plan == plan.id)
            & (ServiceTarget.priority == priority)
            & (ServiceTarget.ticket_type == ticket_type)
        )
        .first()
    )


async def test_the_page_lists_the_shipped_plans_and_says_changes_apply_to_new_tickets(admin):
    page = await admin.get(URL)
    assert page.status_code == 200
    assert "Standard" in page.text and "Premium" in page.text
    assert "tickets already filed keep their deadlines" in page.text
    assert "09:00-18:00" in page.text and "Public holidays" in page.text
    standard = await _plan()
    edit = await admin.get(f"{URL}/{standard.id}")
    assert edit.status_code == 200 and 'value="15"' in edit.text  # the triage time


async def test_a_russian_admin_reads_the_page_in_russian(client, settings):
    await create_user(settings, "root@example.com", Role.ADMIN, name="Корень", locale="ru")
    await sign_in(client, "root@example.com")
    page = await client.get(URL)
    assert "Стандарт" in page.text and "Уровни обслуживания" in page.text


async def test_customers_and_agents_are_kept_out(client, settings):
    await create_user(settings, "ann@example.com")
    await create_user(settings, "agent@example.com", Role.AGENT)
    await sign_in(client, "ann@example.com")
    assert (await client.get(URL)).status_code == 404
    assert (await post_form(client, URL, {"slug": "gold", "name_en": "Gold"})).status_code == 404
    client.cookies.clear()
    await sign_in(client, "agent@example.com")
    assert (await client.get(URL)).status_code in (403, 404)
    assert (await post_form(client, URL, {"slug": "gold", "name_en": "Gold"})).status_code in (403, 404)
    assert not await SupportPlan.exists().where(SupportPlan.slug == "gold")


async def test_an_admin_adds_renames_retires_and_reactivates_a_plan(admin, caplog):
    caplog.set_level("INFO", logger="portal.security")
    made = await post_form(admin, URL, {"slug": "gold", "name_en": "Gold", "name_ru": "Золото"})
    assert made.status_code == 302
    gold = await _plan("gold")
    standard = await _plan()
    assert gold.week == standard.week and gold.triage_minutes == 15
    assert (await _target(gold, "normal"))["first_response_minutes"] == 8 * 60  # Standard's, to edit
    assert any("service_levels_changed" in r.getMessage() and "plan_created" in r.getMessage() for r in caplog.records)

    taken = await post_form(admin, URL, {"slug": "gold", "name_en": "Gold again"})
    assert taken.status_code == 400 and "already used" in taken.text

    renamed = await post_form(
        admin, f"{URL}/{gold.id}/settings", {"name_en": "Gold+", "name_ru": "Золото+", "triage_minutes": "30"}
    )
    assert renamed.status_code == 302
    gold = await _plan("gold")
    assert (gold.name_en, gold.name_ru, gold.triage_minutes, gold.holiday_calendar) == ("Gold+", "Золото+", 30, None)

    assert (await post_form(admin, f"{URL}/{gold.id}/active", {"active": ""})).status_code == 302
    assert (await _plan("gold")).active is False
    assert (await post_form(admin, f"{URL}/{gold.id}/active", {"active": "1"})).status_code == 302
    assert (await _plan("gold")).active is True


async def test_the_last_active_plan_cannot_be_retired(admin):
    premium, standard = await _plan("premium"), await _plan()
    assert (await post_form(admin, f"{URL}/{premium.id}/active", {"active": ""})).status_code == 302
    refused = await post_form(admin, f"{URL}/{standard.id}/active", {"active": ""})
    assert refused.status_code == 400 and "last active plan" in refused.text
    assert (await _plan()).active is True


async def test_targets_are_edited_overridden_per_type_and_the_override_removed(admin, settings):
    standard = await _plan()
    url = f"{URL}/{standard.id}/targets"
    changed = await post_form(
        admin,
        url,
        {"priority": "urgent", "first_response_minutes": "60", "resolution_minutes": "240", "customer_choice": "1"},
    )
    assert changed.status_code == 302
    urgent = await _target(standard, "urgent")
    assert (urgent["first_response_minutes"], urgent["resolution_minutes"], urgent["customer_choice"]) == (
        60,
        240,
        True,
    )
    override = {"priority": "low", "ticket_type": "incident", "first_response_minutes": "120", "around_the_clock": "1"}
    assert (await post_form(admin, url, override)).status_code == 302
    row = await _target(standard, "low", "incident")
    assert row["resolution_minutes"] is None and row["around_the_clock"] is True
    # The customer may now choose urgent: the form offers it and filing accepts it.
    org = Organization(name="Acme", support_plan="standard")
    await org.save()
    ann = await create_user(settings, "ann@example.com", organization_id=org.id)
    ticket = await open_ticket(settings, ann, NewTicket("question", "Down", "All down", priority="urgent"))
    due = await levels.deadlines("standard", "urgent", "question", ticket.created_at, "UTC")
    assert ticket.first_response_due == due.first_response
    assert due.calendar.between(ticket.created_at, ticket.first_response_due) == timedelta(minutes=60)

    removed = await post_form(admin, f"{url}/{row['id']}/delete", {})
    assert removed.status_code == 302 and await _target(standard, "low", "incident") is None
    general = await _target(standard, "low")
    kept = await post_form(admin, f"{url}/{general['id']}/delete", {})
    assert kept.status_code == 400 and "cannot be removed" in kept.text
    assert await _target(standard, "low") is not None


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"priority": "normal", "first_response_minutes": "-5"}, "greater than zero"),
        ({"priority": "normal", "first_response_minutes": "0"}, "greater than zero"),
        ({"priority": "normal", "first_response_minutes": "soon"}, "greater than zero"),
        ({"priority": "normal", "first_response_minutes": "120", "resolution_minutes": "60"}, "cannot be shorter"),
        ({"priority": "whenever", "first_response_minutes": "60"}, "Choose a priority"),
        ({"priority": "normal", "ticket_type": "nonsense", "first_response_minutes": "60"}, "from the list"),
    ],
)
async def test_bad_targets_are_refused_with_the_reason(admin, form, reason):
    standard = await _plan()
    before = await ServiceTarget.count()
    refused = await post_form(admin, f"{URL}/{standard.id}/targets", form)
    assert refused.status_code == 400 and reason in refused.text
    assert await ServiceTarget.count() == before
    assert (await _target(standard, "normal"))["first_response_minutes"] == 8 * 60


@pytest.mark.parametrize(
    ("days", "reason"),
    [
        ({}, "at least one day"),
        ({"day0": "18:00-09:00"}, "start before it ends"),
        ({"day0": "09:00-13:00, 12:00-18:00"}, "must not overlap"),
        ({"day0": "9 to 5"}, "09:00-18:00"),
        ({"day0": "09:00-25:00"}, "09:00-18:00"),
    ],
)
async def test_a_bad_week_is_refused_with_the_reason(admin, days, reason):
    standard = await _plan()
    refused = await post_form(admin, f"{URL}/{standard.id}/week", days)
    assert refused.status_code == 400 and reason in refused.text
    assert (await _plan()).week == standard.week


async def test_the_week_is_saved_and_counts_for_tickets_filed_after(admin):
    standard = await _plan()
    week = {"day0": "09:00-13:00, 14:00-18:00", "day5": "10:00-14:00", "day6": "00:00-24:00"}
    assert (await post_form(admin, f"{URL}/{standard.id}/week", week)).status_code == 302
    stored = json.loads((await _plan()).week)
    assert stored == {
        "0": [["09:00", "13:00"], ["14:00", "18:00"]],
        "5": [["10:00", "14:00"]],
        "6": [["00:00", "24:00"]],
    }
    assert "09:00-13:00, 14:00-18:00" in (await admin.get(URL)).text


async def test_bad_triage_times_and_names_are_refused(admin):
    standard = await _plan()
    url = f"{URL}/{standard.id}/settings"
    for form, reason in [
        ({"name_en": "Standard", "name_ru": "Стандарт", "triage_minutes": "0"}, "triage time"),
        ({"name_en": "Standard", "name_ru": "Стандарт", "triage_minutes": "-1"}, "triage time"),
        ({"name_en": "", "name_ru": "Стандарт", "triage_minutes": "15"}, "Enter a name"),
        ({"name_en": "Standard", "name_ru": "Стандарт", "triage_minutes": "15", "calendar": "999"}, "holiday calendar"),
    ]:
        refused = await post_form(admin, url, form)
        assert refused.status_code == 400 and reason in refused.text, form
    assert (await _plan()).triage_minutes == 15
    assert (await admin.get(f"{URL}/999999")).status_code == 404


async def test_holiday_calendars_and_their_days(admin):
    made = await post_form(admin, f"{URL}/calendars", {"calendar_slug": "acme", "calendar_name": "Acme days"})
    assert made.status_code == 302
    calendar = await HolidayCalendar.objects().where(HolidayCalendar.slug == "acme").first()
    days = f"{URL}/calendars/{calendar.id}/holidays"
    assert (await post_form(admin, days, {"day": "2026-12-31", "name": "New Year's Eve"})).status_code == 302
    twice = await post_form(admin, days, {"day": "2026-12-31", "name": "Again"})
    assert twice.status_code == 400 and "already in the calendar" in twice.text
    bad = await post_form(admin, days, {"day": "31.12.2026"})
    assert bad.status_code == 400 and "year-month-day" in bad.text
    (holiday,) = await Holiday.select().where(Holiday.calendar == calendar.id)
    assert holiday["day"] == date(2026, 12, 31) or str(holiday["day"]).startswith("2026-12-31")
    page = await admin.get(URL)
    assert "Acme days" in page.text and "New Year&#39;s Eve" in page.text
    gone = await post_form(admin, f"{days}/{holiday['id']}/remove", {})
    assert gone.status_code == 302 and await Holiday.count().where(Holiday.calendar == calendar.id) == 0
    assert (await post_form(admin, f"{URL}/calendars/999999/holidays", {"day": "2027-01-01"})).status_code == 404


async def test_a_new_plan_is_offered_to_organizations_until_it_is_retired(admin, settings):
    assert (await post_form(admin, URL, {"slug": "gold", "name_en": "Gold", "name_ru": "Золото"})).status_code == 302
    gold = await _plan("gold")
    url = f"{URL}/{gold.id}/targets"
    normal = {"priority": "normal", "first_response_minutes": "30", "customer_choice": "1"}
    assert (await post_form(admin, url, normal)).status_code == 302
    assert 'value="gold"' in (await admin.get("/admin/organizations")).text
    made = await post_form(admin, "/admin/organizations", {"name": "Goldco", "support_plan": "gold"})
    assert made.status_code == 302
    org = await Organization.objects().where(Organization.name == "Goldco").first()
    assert org.support_plan == "gold"
    ann = await create_user(settings, "ann@example.com", organization_id=org.id)
    ticket = await open_ticket(settings, ann, NewTicket("question", "Gold service", "Quickly please"))
    due = await levels.deadlines("gold", "normal", "question", ticket.created_at, "UTC")
    assert ticket.first_response_due == due.first_response
    assert due.calendar.between(ticket.created_at, due.first_response) == timedelta(minutes=30)

    assert (await post_form(admin, f"{URL}/{gold.id}/active", {"active": ""})).status_code == 302
    refused = await post_form(admin, "/admin/organizations", {"name": "Latecomer", "support_plan": "gold"})
    assert refused.status_code == 400 and not await Organization.exists().where(Organization.name == "Latecomer")
    kept = await post_form(admin, f"/admin/organizations/{org.id}", {"support_plan": "gold", "shares_tickets": "1"})
    assert kept.status_code == 302  # an organization stays on its retired plan


async def test_an_added_plan_is_called_by_its_name_wherever_a_plan_is_named(admin, settings):
    made = await post_form(admin, URL, {"slug": "tier3", "name_en": "Gold Care", "name_ru": "Золотая забота"})
    assert made.status_code == 302
    assert (
        await post_form(admin, "/admin/organizations", {"name": "Goldco", "support_plan": "tier3"})
    ).status_code == 302
    org = await Organization.objects().where(Organization.name == "Goldco").first()
    ann = await create_user(settings, "ann@example.com", organization_id=org.id)
    ticket = await open_ticket(settings, ann, NewTicket("question", "Gold service", "Quickly please"))
    number = number_of(ticket.id)
    pages = {
        "organization": f"/admin/organizations/{org.id}",
        "ticket": f"/staff/tickets/{number}",
        "report filter": "/staff/reports?report=times",
        "report table": "/staff/reports/times/csv/by_plan",
    }
    for locale, name in [("en", "Gold Care"), ("ru", "Золотая забота")]:
        await post_form(admin, "/language", {"lang": locale, "next": "/"})
        for what, url in pages.items():
            page = await admin.get(url)
            assert page.status_code == 200 and name in page.text, (locale, what)
            if what != "report filter":  # the filter's choice sends the slug
                assert "tier3" not in page.text, (locale, what)

    # A shipped plan keeps its name in either language; a ticket without an organization is under Standard.
    bob = await create_user(settings, "bob@example.com")
    loose = await open_ticket(settings, bob, NewTicket("question", "No company", "Hello"))
    await post_form(admin, "/language", {"lang": "ru", "next": "/"})
    assert "Стандарт" in (await admin.get(f"/staff/tickets/{number_of(loose.id)}")).text
    await post_form(admin, "/language", {"lang": "en", "next": "/"})
    assert "support plan: Standard" in (await admin.get(f"/staff/tickets/{number_of(loose.id)}")).text
    # Renamed by an admin: every page follows at once.
    tier3 = await _plan("tier3")
    renamed = {"name_en": "Platinum Care", "name_ru": "Платиновая забота", "triage_minutes": "15"}
    assert (await post_form(admin, f"{URL}/{tier3.id}/settings", renamed)).status_code == 302
    assert "Platinum Care" in (await admin.get(pages["ticket"])).text
