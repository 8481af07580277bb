"""The weekly summary by mail: supervisors and admins opt in; after each week ends, each of them gets
that week's key figures and top content gaps once, in their language, claimed in the database so
that however many processes run the pass, one mail goes out per person and week."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from auth.tables import Role, User
from portal.db import is_unique_violation, write_transaction
from portal.i18n import use_locale
from portal.notify import outbox
from portal.reports import catalog, self_help
from portal.reports.labels import word
from portal.reports.period import Filters, Period, ReportNotAllowed, sees_everyone
from portal.reports.tables import SummarySent, SummarySubscriber
from portal.settings import Settings

GAPS_MAILED = 5
# The figures a supervisor reads first, by report.
KEY_FIGURES = {
    "service-levels": ("first_response_met_pct", "resolution_met_pct"),
    "times": ("first_response_business_median", "resolution_business_median"),
    "volume": ("opened", "resolved", "backlog"),
    "satisfaction": ("average_score", "response_rate_pct"),
    "self-service": ("searches", "deflection_rate_pct"),
}


async def subscribed(user: User) -> bool:
    return await SummarySubscriber.exists().where(SummarySubscriber.user == user.id)


async def set_subscription(user: User, wanted: bool) -> None:
    """Opt in or out; only those who see everyone's figures may take the summary."""
    if not sees_everyone(user):
        raise ReportNotAllowed("not_allowed")
    async with write_transaction():
        if not wanted:
            await SummarySubscriber.delete().where(SummarySubscriber.user == user.id)
        elif not await SummarySubscriber.exists().where(SummarySubscriber.user == user.id):
            await SummarySubscriber(user=user.id).save()


def last_week(now: datetime) -> tuple[Period, str]:
    """The last whole week (Monday to Sunday, UTC) before `now`, and its ISO name ("2026-W48")."""
    today = now.astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday() + 7)
    start = datetime.combine(monday, time(0), UTC)
    year, week, _day = monday.isocalendar()
    return Period(start, start + timedelta(days=7), "custom"), f"{year}-W{week:02d}"


async def _recipients(week: str) -> list[dict]:
    """Subscribers still entitled to the summary who have not had this week's."""
    rows = await User.select(User.id, User.email, User.name, User.locale, User.role).where(
        User.id.is_in(SummarySubscriber.select(SummarySubscriber.user))
        & (User.is_active == True)  # noqa: E712
        & User.role.is_in([Role.SUPERVISOR.value, Role.ADMIN.value])
    )
    sent = {r["user"] for r in await SummarySent.select(SummarySent.user).where(SummarySent.key.like(f"%:{week}"))}
    return [r for r in rows if r["id"] not in sent]


async def _figures(viewer: User, period: Period, now: datetime) -> list[tuple[str, object, object]]:
    figures = []
    for name, keys in KEY_FIGURES.items():
        report = await catalog.run(viewer, name, period, Filters(), now)
        rows = {row[0]: row for row in report.table("summary").rows}
        figures += [rows[key] for key in keys]
    return figures


async def send_due(settings: Settings, now: datetime | None = None) -> int:
    """Last week's summary to every subscriber who has not had it; returns how many this process sent."""
    now = now or datetime.now(UTC)
    period, week = last_week(now)
    recipients = await _recipients(week)
    if not recipients:
        return 0
    first = User(_exists_in_db=True, **recipients[0])
    figures = await _figures(first, period, now)
    gaps = (await self_help.content_gaps(period, GAPS_MAILED))[:GAPS_MAILED]
    sent = 0
    for person in recipients:
        try:
            async with write_transaction():
                await SummarySent(key=f"{person['id']}:{week}", user=person["id"]).save()
                with use_locale(person["locale"]):
                    lines = [(word(key), value, previous) for key, value, previous in figures]
                await outbox.enqueue(
                    person["email"],
                    "reports_weekly",
                    person["locale"],
                    name=person["name"],
                    site_name=settings.site_name,
                    week=week,
                    period=period.as_dict(),
                    figures=lines,
                    gaps=[(query, searches) for query, searches, *_rest in gaps],
                    link=f"{settings.base_url}/staff/reports?period=custom&start={period.as_dict()['start']}"
                    f"&end={period.as_dict()['end']}",
                )
            sent += 1
        except Exception as exc:
            if not is_unique_violation(exc):  # another process claimed this one first
                raise
    return sent
