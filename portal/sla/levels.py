"""Service levels read from the database: the target, calendar and triage time a ticket gets when it is
filed (a change applies to tickets filed after it: tickets keep the deadlines they were given)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from auth.recent import RecentRows
from portal.db import current_engine
from portal.i18n import current_locale
from portal.sla.calendar import BusinessCalendar, Interval
from portal.sla.policy import RANK, Deadlines, warning
from portal.sla.tables import Holiday, SupportPlan

FALLBACK_PLAN = "standard"
# One statement per filing: the plan's own row for the type first, then its general row; an unknown
# plan falls back to Standard.
_LEVEL = (
    "SELECT p.slug, p.triage_minutes, p.week, p.holiday_calendar, t.first_response_minutes, "
    "t.resolution_minutes, t.around_the_clock FROM sla_target t JOIN sla_plan p ON p.id = t.plan "
    "WHERE p.slug IN ({}, {}) AND t.priority = {} AND t.ticket_type IN ({}, '') "
    "ORDER BY CASE WHEN p.slug = {} THEN 0 ELSE 1 END, t.ticket_type DESC LIMIT 1"
)


_ORGANIZATION_HOLIDAYS = (
    "SELECT h.day FROM sla_holiday h JOIN sla_org_calendar c ON c.calendar = h.calendar WHERE c.organization = {}"
)


# Which priorities each plan lets customers choose: read once every few seconds per process and
# database (filing must not cost another query); an admin's change here drops it at once.
_CHOICE_ROWS = (
    "SELECT p.slug, t.priority, t.customer_choice FROM sla_target t JOIN sla_plan p ON p.id = t.plan "
    "WHERE t.ticket_type = ''"
)
CACHE_SECONDS = 5.0
_KEPT = 10_000  # entries of each cache below; beyond it a cache starts afresh
# Per database: each plan's priorities customers may choose.
_CHOICES: RecentRows[int, dict[str, tuple[str, ...]]] = RecentRows(CACHE_SECONDS, _KEPT)
# Per (database, plan, priority, type): the target row, the plan's holidays and its working week.
_TARGETS: RecentRows[tuple, tuple[dict, frozenset[date], dict[int, tuple[Interval, ...]]]] = RecentRows(
    CACHE_SECONDS, _KEPT
)
# Per (database, organization): the days off of the organization's own calendar.
_ORGANIZATION_DAYS: RecentRows[tuple[int, int], frozenset[date]] = RecentRows(CACHE_SECONDS, _KEPT)
# Per database: each plan's English and Russian names by slug (a ticket page names its plan).
_NAMES: RecentRows[int, dict[str, tuple[str, str]]] = RecentRows(CACHE_SECONDS, _KEPT)


class NoServiceLevel(LookupError):
    """Neither the plan nor Standard has a target for this priority."""


@dataclass(frozen=True, slots=True)
class Level:
    plan: str
    triage: timedelta
    first_response: timedelta
    resolution: timedelta | None
    calendar: BusinessCalendar


def _clock(text: str) -> time | None:
    return None if text == "24:00" else time.fromisoformat(text)


def parse_week(text: str | dict) -> dict[int, tuple[Interval, ...]]:
    """The stored week ({"0": [["09:00", "18:00"]], …}) as the calendar's intervals; "24:00" is midnight."""
    raw = json.loads(text) if isinstance(text, str) else text
    return {
        int(day): tuple((time.fromisoformat(start), _clock(end)) for start, end in spans)
        for day, spans in (raw or {}).items()
    }


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def holidays_of(calendar_id: int | None) -> frozenset[date]:
    if not calendar_id:
        return frozenset()
    rows = await Holiday.select(Holiday.day).where(Holiday.calendar == calendar_id)
    return frozenset(_day(row["day"]) for row in rows)


async def organization_holidays(organization: int | None) -> frozenset[date]:
    """The days off of the organization's own holiday calendar, if an admin chose one: read once every
    CACHE_SECONDS per process, as the plan's (every filing needs them; admins' changes clear it)."""
    if not organization:
        return frozenset()
    key = (id(current_engine()), organization)
    days = _ORGANIZATION_DAYS.get(key)
    if days is None:
        days = frozenset(_day(row["day"]) for row in await Holiday.raw(_ORGANIZATION_HOLIDAYS, organization))
        _ORGANIZATION_DAYS.put(key, days)
    return days


async def plans() -> list[dict]:
    """Every support plan (slug, names, whether it is still offered), in the admins' order."""
    columns = (SupportPlan.slug, SupportPlan.name_en, SupportPlan.name_ru, SupportPlan.active)
    return await SupportPlan.select(*columns).order_by(SupportPlan.position).order_by(SupportPlan.id)


def name_in_language(name_en: str, name_ru: str) -> str:
    """A plan's name as people read it: the one its admin gave in the current language (the shipped plans
    came with both), the English one where the Russian is missing."""
    return name_ru if current_locale() == "ru" and name_ru else name_en


async def plan_names() -> dict[str, str]:
    """Every plan's name in the current language, by slug."""
    key = id(current_engine())
    names = _NAMES.get(key)
    if names is None:
        rows = await SupportPlan.select(SupportPlan.slug, SupportPlan.name_en, SupportPlan.name_ru)
        names = {row["slug"]: (row["name_en"], row["name_ru"]) for row in rows}
        _NAMES.put(key, names)
    return {slug: name_in_language(*pair) for slug, pair in names.items()}


async def plan_name(slug: str) -> str:
    """The plan's name in the current language; a slug no plan has (never stored by the portal) as it is."""
    return (await plan_names()).get(slug, slug)


def forget() -> None:
    """Drop what this process remembers of the tables (after an admin changed them)."""
    _NAMES.drop()
    _CHOICES.drop()
    _TARGETS.drop()
    _ORGANIZATION_DAYS.drop()


async def customer_priorities(plan: str) -> tuple[str, ...]:
    """The priorities a customer on the plan may choose, lowest first (a plan without targets of its
    own is served as Standard, as its deadlines are)."""
    key = id(current_engine())
    choices = _CHOICES.get(key)
    if choices is None:
        by_plan: dict[str, list[str]] = {}
        for row in await SupportPlan.raw(_CHOICE_ROWS):
            chosen = by_plan.setdefault(row["slug"], [])
            if row["customer_choice"]:
                chosen.append(row["priority"])
        choices = {slug: tuple(sorted(found, key=RANK.__getitem__)) for slug, found in by_plan.items()}
        _CHOICES.put(key, choices)
    return choices[plan] if plan in choices else choices.get(FALLBACK_PLAN, ())


async def _target(
    plan: str, priority: str, ticket_type: str
) -> tuple[dict, frozenset[date], dict[int, tuple[Interval, ...]]]:
    """The plan's target row for the priority and type, the plan's holidays and its working week: read
    once every CACHE_SECONDS per process (every filing needs them; admins' changes clear it, see forget)."""
    key = (id(current_engine()), plan, priority, ticket_type)
    target = _TARGETS.get(key)
    if target is None:
        rows = await SupportPlan.raw(_LEVEL, plan, FALLBACK_PLAN, priority, ticket_type, plan)
        if not rows:
            raise NoServiceLevel(f"{plan}/{priority}/{ticket_type}")
        row = dict(rows[0])
        target = (row, await holidays_of(row["holiday_calendar"]), parse_week(row["week"]))
        _TARGETS.put(key, target)
    return target


async def level(
    plan: str,
    priority: str,
    ticket_type: str,
    time_zone: str,
    holidays: frozenset[date] = frozenset(),
    organization: int | None = None,
) -> Level:
    """What the plan promises for this priority and type, counted in which calendar (the plan's holidays,
    the organization's and PORTAL_HOLIDAYS)."""
    row, plan_holidays, week = await _target(plan, priority, ticket_type)
    days = holidays | plan_holidays | await organization_holidays(organization)
    if row["around_the_clock"]:
        calendar = BusinessCalendar.always(time_zone)
    else:
        calendar = BusinessCalendar(time_zone, week, days)
    resolution = row["resolution_minutes"]
    return Level(
        row["slug"],
        timedelta(minutes=row["triage_minutes"]),
        timedelta(minutes=row["first_response_minutes"]),
        None if resolution is None else timedelta(minutes=resolution),
        calendar,
    )


async def deadlines(
    plan: str,
    priority: str,
    ticket_type: str,
    opened: datetime,
    time_zone: str,
    holidays: frozenset[date] = frozenset(),
    warn_percent: int = 80,
    organization: int | None = None,
) -> Deadlines:
    """The ticket's deadlines, its triage moment and its warnings, all in its calendar's working time."""
    found = await level(plan, priority, ticket_type, time_zone, holidays, organization)
    calendar = found.calendar
    first = calendar.add(opened, found.first_response)
    resolution = None if found.resolution is None else calendar.add(opened, found.resolution)
    return Deadlines(
        first,
        resolution,
        calendar,
        triage=calendar.add(opened, found.triage),
        first_response_warning=warning(calendar, opened, first, warn_percent),
        resolution_warning=warning(calendar, opened, resolution, warn_percent),
    )
