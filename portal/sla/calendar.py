"""Business calendars: working hours per weekday in a time zone, holidays, and time counted in them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Mon..Sun → the day's working intervals in local time; (00:00, 00:00) would be empty, so a full day
# is written (time(0), None): until midnight.
Interval = tuple[time, time | None]
MAX_DAYS = 3660  # a deadline more than ten years away is a configuration error, not a loop to run


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    time_zone: str = "UTC"
    week: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def always(cls, time_zone: str = "UTC") -> BusinessCalendar:
        """24/7: every moment counts."""
        return cls(time_zone, {day: ((time(0), None),) for day in range(7)})

    @classmethod
    def office(
        cls, time_zone: str, start: time, end: time, days: range = range(5), holidays: frozenset[date] = frozenset()
    ) -> BusinessCalendar:
        return cls(time_zone, {day: ((start, end),) for day in days}, holidays)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def _intervals(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The day's working intervals as aware datetimes (DST-safe: built from local wall time)."""
        if day in self.holidays:
            return
        for start, end in self.week.get(day.weekday(), ()):
            begins = datetime.combine(day, start, self.zone)
            ends = (
                datetime.combine(day + timedelta(days=1), time(0), self.zone)
                if end is None
                else datetime.combine(day, end, self.zone)
            )
            if ends > begins:
                yield begins.astimezone(UTC), ends.astimezone(UTC)

    def add(self, moment: datetime, duration: timedelta) -> datetime:
        """The moment when `duration` of working time has passed after `moment`."""
        if duration <= timedelta(0):
            return moment
        remaining = duration
        day = moment.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            for begins, ends in self._intervals(day):
                start = max(begins, moment)
                if start >= ends:
                    continue
                if ends - start >= remaining:
                    return start + remaining
                remaining -= ends - start
            day += timedelta(days=1)
        raise ValueError("the calendar has no working time in the next ten years")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (zero if end is not after start)."""
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            for begins, ends in self._intervals(day):
                overlap = min(ends, end) - max(begins, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total
