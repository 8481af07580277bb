"""Service levels as data: the seeded tables promise exactly what the help article promised, a change
applies to tickets filed after it, and the plan's holidays count."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from auth.tables import Organization
from portal.sla import levels
from portal.sla.policy import RANK, TARGETS, deadlines
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


async def test_the_seeded_service_levels_give_the_deadlines_of_the_shipped_targets(database_url):
    for plan in TARGETS:
        for priority in RANK:
            for ticket_type in TYPES:
                for opened in MOMENTS:
                    shipped = deadlines(plan, priority, ticket_type, opened, "Europe/Moscow")
                    stored = await levels.deadlines(plan, priority, ticket_type, opened, "Europe/Moscow")
                    case = (plan, priority, ticket_type, opened)
                    assert stored.first_response == shipped.first_response, case
                    assert stored.resolution == shipped.resolution, case


async def test_the_shipped_plans_triage_in_fifteen_business_minutes(database_url):
    plans = await SupportPlan.select(SupportPlan.slug, SupportPlan.triage_minutes).order_by(SupportPlan.position)
    assert [(p["slug"], p["triage_minutes"]) for p in plans] == [("standard", 15), ("premium", 15)]
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=MSK)
    due = await levels.deadlines("standard", "normal", "question", saturday, "Europe/Moscow")
    assert due.triage == datetime(2026, 11, 30, 9, 15, tzinfo=MSK)


async def test_an_unknown_plan_is_served_as_standard(database_url):
    opened = MOMENTS[0]
    unknown = await levels.deadlines("gold", "normal", "question", opened, "UTC")
    assert unknown.first_response == deadlines("standard", "normal", "question", opened, "UTC").first_response


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
    assert UTC
