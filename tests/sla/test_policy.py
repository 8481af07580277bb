"""Deadlines as the help article promises them: by plan, priority and type, with pauses."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.sla.policy import deadlines, effective_priority, resume

ZONE = "Europe/Moscow"
MSK = ZoneInfo(ZONE)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MSK)  # 23 November 2026 is a Monday


@pytest.mark.parametrize(
    ("filed", "priority", "due"),
    [
        (at(24, 14), "normal", at(25, 13)),  # Tuesday 14:00 → Wednesday 13:00
        (at(27, 17), "high", at(30, 12)),  # Friday 17:00 → Monday 12:00
        (at(23, 10), "low", at(25, 16)),  # Monday 10:00 → Wednesday 16:00
        (at(28, 11), "normal", at(30, 17)),  # Saturday 11:00 → Monday 17:00
    ],
)
def test_standard_first_response_examples_from_the_help_article(filed, priority, due):
    assert deadlines("standard", priority, "question", filed, ZONE).first_response == due


def test_premium_urgent_runs_around_the_clock():
    saturday_night = at(28, 3)
    assert deadlines("premium", "urgent", "incident", saturday_night, ZONE).first_response == at(28, 4)


def test_a_critical_incident_is_at_least_high_on_standard_and_urgent_on_premium():
    assert effective_priority("standard", "low", "critical_incident") == "high"
    assert effective_priority("premium", "normal", "critical_incident") == "urgent"
    assert effective_priority("standard", "normal", "question") == "normal"
    assert deadlines("premium", "low", "critical_incident", at(28, 3), ZONE).first_response == at(28, 4)


def test_ideas_and_feedback_have_no_resolution_deadline():
    assert deadlines("standard", "normal", "feature_request", at(23, 10), ZONE).resolution is None
    assert deadlines("standard", "normal", "incident", at(23, 10), ZONE).resolution is not None


def test_the_resolution_clock_pauses_while_waiting_for_the_customer():
    plan = deadlines("standard", "high", "incident", at(23, 10), ZONE)
    # Waiting for the customer from Monday 12:00 to Tuesday 12:00: 9 working hours pass.
    moved = resume(plan.calendar, plan.resolution, at(23, 12), at(24, 12))
    assert plan.calendar.between(plan.resolution, moved) == timedelta(hours=9)


def test_the_organizations_time_zone_decides_the_working_day():
    filed = datetime(2026, 11, 23, 7, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 in Moscow, 17:00 in Vladivostok
    moscow = deadlines("standard", "high", "question", filed, "Europe/Moscow").first_response
    vladivostok = deadlines("standard", "high", "question", filed, "Asia/Vladivostok").first_response
    assert moscow.astimezone(MSK) == at(23, 14)
    assert vladivostok.astimezone(ZoneInfo("Asia/Vladivostok")) == datetime(
        2026, 11, 24, 12, 0, tzinfo=ZoneInfo("Asia/Vladivostok")
    )
