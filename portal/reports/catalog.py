"""The reports by name, and running one for a viewer: their scope applied, compared with the period
before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from auth.tables import User
from portal.reports import satisfaction, self_help, service_levels, times, volume
from portal.reports.period import Filters, Period, ReportNotAllowed, scoped, sees_everyone
from portal.reports.result import Report, compared

Builder = Callable[[Period, Filters, datetime], Awaitable[Report]]
REPORTS: dict[str, Builder] = {
    "service-levels": service_levels.report,
    "times": times.report,
    "volume": volume.report,
    "satisfaction": satisfaction.report,
    "self-service": self_help.report,
}
# About everyone's work, with no agent of its own: supervisors and admins only.
EVERYONES = frozenset({"self-service"})


class UnknownReport(LookupError):
    pass


def available(viewer: User) -> list[str]:
    return [name for name in REPORTS if sees_everyone(viewer) or name not in EVERYONES]


async def run(viewer: User, name: str, period: Period, filters: Filters, now: datetime) -> Report:
    """The report as this viewer may see it (raises UnknownReport, ReportNotAllowed)."""
    if name not in REPORTS:
        raise UnknownReport(name)
    if name not in available(viewer):
        raise ReportNotAllowed("not_allowed")
    build = REPORTS[name]
    filters = scoped(viewer, filters)
    return compared(await build(period, filters, now), await build(period.previous(), filters, now))
