"""Service levels as data: the seeded tables promise exactly what the help article promised, a change
applies to tickets filed after it, and the plan's holidays count."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from auth.tables import Organization
from portal.sla import levels
from portal.sla.calendar import BusinessCalendar
from portal.sla.policy import resume
from portal.sla.tables import Holiday, HolidayCalendar, ServiceTarget, SupportPlan
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Ticket
from tests.helpers import create_user

MSK = ZoneInfo("Europe/Moscow")
TYPES = ("question", "incident", "critical_incident", "feature_request", "feedback", "pricing_request")
MOMENTS = [
    datetime(2026, 11, 24, 14, 0, tzinfo=MSK),  # Tuesday afternoon
    datetime(2026, 11, 27, 17, 30, tzinfo=MSK),  # Friday before closing
    datetime(2026, 11, 28, 3, 0, tzinfo=MSK),  # Saturday night
]


H = timedelta(hours=1)
# What the help article promises: plan → priority → (first response, resolution) in working time.
SHIPPED = {
    "standard": {"low": (24 * H, 90 * H), "normal": (8 * H, 45 * H), "high": (4 * H, 18 * H), "urgent": (2 * H, 9 * H)},
    "premium": {"low": (8 * H, 45 * H), "normal": (4 * H, 27 * H), "high": (2 * H, 9 * H), "urgent": (1 * H, 4 * H)},
}
# A critical incident is served at least at this priority; ideas and opinions get no resolution deadline.
FLOOR = {"standard": "high", "premium": "urgent"}
RANK = ("low", "normal", "high", "urgent")


def _promised(plan: str, priority: str, ticket_type: str) -> tuple[str, timedelta, timedelta | None]:
    if ticket_type == "critical_incident" and RANK.index(FLOOR[plan]) > RANK.index(priority):
        priority = FLOOR[plan]
    first, resolution = SHIPPED[plan][priority]
    return priority, first, None if ticket_type in ("feature_request", "feedback") else resolution


async def test_the_seeded_service_levels_give_the_deadlines_of_the_shipped_targets(database_url):
    office = BusinessCalendar.office("Europe/Moscow", time(9), time(18))
    always = BusinessCalendar.always("Europe/Moscow")
    for plan in SHIPPED:
        for priority in RANK:
            for ticket_type in TYPES:
                served, first, resolution = _promised(plan, priority, ticket_type)
                calendar = always if (plan, served) == ("premium", "urgent") else office
                for opened in MOMENTS:
                    stored = await levels.deadlines(plan, priority, ticket_type, opened, "Europe/Moscow")
                    case = (plan, priority, ticket_type, opened)
                    assert stored.first_response == calendar.add(opened, first), case
                    assert stored.resolution == (resolution and calendar.add(opened, resolution)), case


@pytest.mark.parametrize(
    ("filed", "priority", "due"),
    [
        (datetime(2026, 11, 24, 14, tzinfo=MSK), "normal", datetime(2026, 11, 25, 13, tzinfo=MSK)),
        (datetime(2026, 11, 27, 17, tzinfo=MSK), "high", datetime(2026, 11, 30, 12, tzinfo=MSK)),
        (datetime(2026, 11, 23, 10, tzinfo=MSK), "low", datetime(2026, 11, 25, 16, tzinfo=MSK)),
        (datetime(2026, 11, 28, 11, tzinfo=MSK), "normal", datetime(2026, 11, 30, 17, tzinfo=MSK)),
    ],
)
async def test_standard_first_response_examples_from_the_help_article(database_url, filed, priority, due):
    assert (await levels.deadlines("standard", priority, "question", filed, "Europe/Moscow")).first_response == due


async def test_premium_urgent_and_its_critical_incidents_run_around_the_clock(database_url):
    saturday_night = datetime(2026, 11, 28, 3, tzinfo=MSK)
    for priority, ticket_type in (("urgent", "incident"), ("low", "critical_incident")):
        due = await levels.deadlines("premium", priority, ticket_type, saturday_night, "Europe/Moscow")
        assert due.first_response == datetime(2026, 11, 28, 4, tzinfo=MSK)


async def test_the_resolution_clock_pauses_while_waiting_for_the_customer(database_url):
    monday = datetime(2026, 11, 23, 10, tzinfo=MSK)
    plan = await levels.deadlines("standard", "high", "incident", monday, "Europe/Moscow")
    # Waiting for the customer from Monday 12:00 to Tuesday 12:00: 9 working hours pass.
    moved = resume(plan.calendar, plan.resolution, monday + 2 * H, monday + 26 * H)
    assert plan.calendar.between(plan.resolution, moved) == 9 * H


async def test_the_organizations_time_zone_decides_the_working_day(database_url):
    filed = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 10:00 in Moscow, 17:00 in Vladivostok
    moscow = await levels.deadlines("standard", "high", "question", filed, "Europe/Moscow")
    vladivostok = await levels.deadlines("standard", "high", "question", filed, "Asia/Vladivostok")
    assert moscow.first_response == datetime(2026, 11, 23, 14, tzinfo=MSK)
    assert vladivostok.first_response == datetime(2026, 11, 24, 12, tzinfo=ZoneInfo("Asia/Vladivostok"))


async def test_customers_choose_the_priorities_their_plan_offers(database_url):
    assert await levels.customer_priorities("standard") == ("low", "normal", "high")
    assert await levels.customer_priorities("premium") == ("low", "normal", "high", "urgent")
    assert await levels.customer_priorities("gold") == ("low", "normal", "high")  # served as Standard
    plan = await SupportPlan.objects().where(SupportPlan.slug == "premium").first()
    await ServiceTarget.update({ServiceTarget.customer_choice: False}).where(
        (ServiceTarget.plan == plan.id) & (ServiceTarget.priority == "low")
    )
    levels.forget()  # what an admin's change does in this process
    assert await levels.customer_priorities("premium") == ("normal", "high", "urgent")


async def test_the_shipped_plans_triage_in_fifteen_business_minutes(database_url):
    plans = await SupportPlan.select(SupportPlan.slug, SupportPlan.triage_minutes).order_by(SupportPlan.position)
    assert [(p["slug"], p["triage_minutes"]) for p in plans] == [("standard", 15), ("premium", 15)]
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=MSK)
    due = await levels.deadlines("standard", "normal", "question", saturday, "Europe/Moscow")
    assert due.triage == datetime(2026, 11, 30, 9, 15, tzinfo=MSK)


async def test_an_unknown_plan_is_served_as_standard(database_url):
    opened = MOMENTS[0]
    unknown = await levels.deadlines("gold", "normal", "question", opened, "UTC")
    standard = await levels.deadlines("standard", "normal", "question", opened, "UTC")
    assert unknown.first_response == standard.first_response


async def test_the_plans_holiday_calendar_stops_the_clock(database_url):
    calendar = await HolidayCalendar.objects().where(HolidayCalendar.slug == "default").first()
    await Holiday(calendar=calendar.id, day=date(2026, 11, 30), name="Bridge day").save()
    friday = datetime(2026, 11, 27, 17, 0, tzinfo=MSK)
    due = await levels.deadlines("standard", "high", "question", friday, "Europe/Moscow")
    # One hour on Friday, Monday off, three hours on Tuesday.
    assert due.first_response == datetime(2026, 12, 1, 12, 0, tzinfo=MSK)


async def test_a_changed_target_applies_to_tickets_filed_after_it(settings):
    org = Organization(name="Acme", support_plan="standard")
    await org.save()
    ann = await create_user(settings, organization_id=org.id)
    before = await open_ticket(settings, ann, NewTicket("question", "Before", "Filed before the change"))
    plan = await SupportPlan.objects().where(SupportPlan.slug == "standard").first()
    await ServiceTarget.update({ServiceTarget.first_response_minutes: 60}).where(
        (ServiceTarget.plan == plan.id) & (ServiceTarget.priority == "normal")
    )
    after = await open_ticket(settings, ann, NewTicket("question", "After", "Filed after the change"))
    stored = {t.id: t for t in await Ticket.objects().where(Ticket.id.is_in([before.id, after.id]))}
    kept = stored[before.id]
    assert kept.first_response_due - kept.created_at >= timedelta(hours=8)
    assert (
        stored[after.id].first_response_due
        == (await levels.deadlines("standard", "normal", "question", stored[after.id].created_at, "UTC")).first_response
    )
    assert stored[after.id].first_response_due < kept.first_response_due + timedelta(minutes=5)


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_bad_triage_time_is_refused_when_the_database_is_created(value):
    from tests.conftest import SEEDED_LEVELS

    with pytest.raises(ValueError, match="PORTAL_TRIAGE_MINUTES"):
        SEEDED_LEVELS.triage_minutes({"PORTAL_TRIAGE_MINUTES": value})
    assert SEEDED_LEVELS.triage_minutes({"PORTAL_TRIAGE_MINUTES": "30"}) == 30
