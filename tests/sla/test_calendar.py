"""Working time across business hours, weekends, holidays, time zones and clock changes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.sla.calendar import BusinessCalendar

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessCalendar.office("Europe/Moscow", time(9), time(18))


def msk(*args) -> datetime:
    return datetime(*args, tzinfo=MOSCOW)


def test_time_inside_the_working_day():
    assert OFFICE.add(msk(2026, 11, 23, 10, 0), timedelta(hours=4)) == msk(2026, 11, 23, 14, 0)


def test_time_runs_over_into_the_next_morning():
    # Monday 16:00 + 4 working hours: 2 today, 2 on Tuesday from 09:00.
    assert OFFICE.add(msk(2026, 11, 23, 16, 0), timedelta(hours=4)) == msk(2026, 11, 24, 11, 0)


def test_a_request_at_night_starts_counting_in_the_morning():
    assert OFFICE.add(msk(2026, 11, 23, 2, 30), timedelta(hours=1)) == msk(2026, 11, 23, 10, 0)


def test_weekends_do_not_count():
    # Friday 17:00 + 8 hours: 1 on Friday, 7 on Monday.
    assert OFFICE.add(msk(2026, 11, 27, 17, 0), timedelta(hours=8)) == msk(2026, 11, 30, 16, 0)
    assert OFFICE.add(msk(2026, 11, 28, 12, 0), timedelta(hours=1)) == msk(2026, 11, 30, 10, 0)


def test_holidays_do_not_count():
    new_year = BusinessCalendar.office(
        "Europe/Moscow", time(9), time(18), holidays=frozenset(date(2027, 1, d) for d in range(1, 9))
    )
    # Thursday 31 December 17:00 + 2 hours: 1 hour that day, then Monday 11 January.
    assert new_year.add(msk(2026, 12, 31, 17, 0), timedelta(hours=2)) == msk(2027, 1, 11, 10, 0)


def test_the_calendar_works_in_its_own_time_zone_whatever_the_input():
    started = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 16:00 in Moscow
    due = OFFICE.add(started, timedelta(hours=3))
    assert due.astimezone(MOSCOW) == msk(2026, 11, 24, 10, 0)


def test_clock_changes_are_counted_in_wall_time():
    berlin = BusinessCalendar.office("Europe/Berlin", time(9), time(17))
    # Friday 27 March 2026 16:00 + 2 working hours lands on Monday 30 March 10:00 local, after the change.
    due = berlin.add(datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN), timedelta(hours=2))
    assert due.astimezone(BERLIN) == datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)
    assert due.utcoffset() == timedelta(0) and due.astimezone(BERLIN).utcoffset() == timedelta(hours=2)


def test_around_the_clock():
    always = BusinessCalendar.always("UTC")
    start = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)  # Saturday night
    assert always.add(start, timedelta(hours=2)) == datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


def test_between_counts_only_working_time():
    assert OFFICE.between(msk(2026, 11, 27, 17, 0), msk(2026, 11, 30, 10, 0)) == timedelta(hours=2)
    assert OFFICE.between(msk(2026, 11, 30, 10, 0), msk(2026, 11, 27, 17, 0)) == timedelta(0)


@pytest.mark.parametrize("hours", [1, 5, 9, 13, 40, 100])
def test_add_and_between_agree(hours):
    start = msk(2026, 11, 26, 15, 17)
    due = OFFICE.add(start, timedelta(hours=hours))
    assert OFFICE.between(start, due) == timedelta(hours=hours)


def test_a_calendar_without_working_time_is_an_error_not_a_hang():
    with pytest.raises(ValueError):
        BusinessCalendar("UTC", {}).add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1))
