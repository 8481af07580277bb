"""What a report is asked about: the period (and the one before it to compare with), the filters, and
who is asking (an agent sees their own figures only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from auth.tables import Role, User
from portal.sla.policy import RANK
from portal.tickets.filing import CHANNELS

PRESETS = ("7", "30", "90")
DEFAULT_PRESET = "30"
MAX_DAYS = 366  # a custom range of more than a year is a mistake, and a slow one


class InvalidReport(ValueError):
    """A period or filter that cannot be asked about; `code` says which, for the form or the JSON error."""

    def __init__(self, code: str, field: str = "") -> None:
        super().__init__(code)
        self.code, self.field = code, field


class ReportNotAllowed(InvalidReport):
    """The report is about everyone's work (self-service): agents see their own figures only."""


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end): whole UTC days, the last of them the one containing `end - 1 µs`."""

    start: datetime
    end: datetime
    preset: str = ""

    @classmethod
    def of(cls, preset: str, start: str, end: str, now: datetime) -> Period:
        """A preset (last 7, 30 or 90 days up to today) or a custom range of dates (both days included)."""
        if preset in PRESETS or (not preset and not start and not end):
            days = int(preset or DEFAULT_PRESET)
            last = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(0), UTC)
            return cls(last - timedelta(days=days), last, preset or DEFAULT_PRESET)
        if preset not in ("", "custom"):
            raise InvalidReport("report_period_invalid", "period")
        first, final = _date(start, "start"), _date(end, "end")
        if final < first:
            raise InvalidReport("report_range_reversed", "end")
        if (final - first).days >= MAX_DAYS:
            raise InvalidReport("report_range_too_long", "end")
        return cls(
            datetime.combine(first, time(0), UTC), datetime.combine(final + timedelta(days=1), time(0), UTC), "custom"
        )

    def previous(self) -> Period:
        """The period of the same length just before: what "compared with the previous period" means."""
        return Period(self.start - (self.end - self.start), self.start, self.preset)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.date().isoformat(), "end": (self.end - timedelta(days=1)).date().isoformat()}


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidReport("report_date_invalid", field) from None


def _number(text: str, field: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit() or len(text.strip()) > 12:
        raise InvalidReport("report_filter_invalid", field)
    return int(text)


@dataclass(frozen=True, slots=True)
class Filters:
    organization: int | None = None
    plan: str = ""
    group: int | None = None
    type: str = ""
    priority: str = ""
    channel: str = ""
    agent: int | None = None

    @classmethod
    def of(cls, organization="", plan="", group="", type="", priority="", channel="", agent="") -> Filters:
        if priority and priority not in RANK:
            raise InvalidReport("report_filter_invalid", "priority")
        if channel and channel not in CHANNELS:
            raise InvalidReport("report_filter_invalid", "channel")
        for name, value in (("plan", plan), ("type", type)):
            if len(value) > 40:
                raise InvalidReport("report_filter_invalid", name)
        return cls(
            _number(organization, "organization"),
            plan.strip(),
            _number(group, "group"),
            type.strip(),
            priority,
            channel,
            _number(agent, "agent"),
        )

    def as_dict(self) -> dict[str, str]:
        return {name: "" if getattr(self, name) is None else str(getattr(self, name)) for name in self.__slots__}


def scoped(viewer: User, filters: Filters) -> Filters:
    """The filters a viewer may use: supervisors and admins see everyone, an agent only their own work."""
    role = Role(viewer.role)
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return filters
    if role == Role.AGENT:
        return replace(filters, agent=viewer.id)
    raise ReportNotAllowed("not_allowed")


def sees_everyone(viewer: User) -> bool:
    return Role(viewer.role) in (Role.SUPERVISOR, Role.ADMIN)


FILTER_NAMES = ("organization", "plan", "group", "type", "priority", "channel", "agent")


def asked(params: Mapping[str, str], now: datetime) -> tuple[Period, Filters]:
    """The period and filters a form or an API call names in its query string."""
    period = Period.of(params.get("period", ""), params.get("start", ""), params.get("end", ""), now)
    return period, Filters.of(**{name: params.get(name, "") for name in FILTER_NAMES})
