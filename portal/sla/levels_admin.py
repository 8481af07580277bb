"""Admins change service levels: plans (added, renamed, retired), their targets, week and triage time,
and holiday calendars; every change checked by portal.sla.rules first and logged. A change applies to
tickets filed after it: tickets already filed keep the deadlines they were given."""

from __future__ import annotations

import json
from dataclasses import dataclass

from portal import logs
from portal.db import is_unique_violation, write_transaction
from portal.sla import levels, rules
from portal.sla.policy import RANK
from portal.sla.rules import LevelNotFound, LevelRefused
from portal.sla.tables import Holiday, HolidayCalendar, ServiceTarget, SupportPlan
from portal.tickets.tables import TicketType

WEEKDAYS = range(7)


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """The plan form's values as text, as the page gives them."""

    name_en: str
    name_ru: str
    triage_minutes: str
    calendar: str = ""  # a holiday calendar's id, "" for none


@dataclass(frozen=True, slots=True)
class TargetForm:
    priority: str
    ticket_type: str
    first_response_minutes: str
    resolution_minutes: str
    around_the_clock: bool
    customer_choice: bool


def _changed(admin_id: int | None, action: str, **fields: object) -> None:
    levels.forget()
    logs.security_event("service_levels_changed", "success", user_id=admin_id, action=action, **fields)


async def known_types() -> frozenset[str]:
    return frozenset(row["slug"] for row in await TicketType.select(TicketType.slug))


async def overview() -> dict:
    """Every plan with its targets (by priority, then type) and week, and every holiday calendar with its days."""
    plans = await SupportPlan.select().order_by(SupportPlan.position).order_by(SupportPlan.id)
    targets = await ServiceTarget.select().order_by(ServiceTarget.ticket_type)
    for plan in plans:
        mine = [t for t in targets if t["plan"] == plan["id"]]
        plan["targets"] = sorted(mine, key=lambda t: (RANK.get(t["priority"], 9), t["ticket_type"]))
        week = json.loads(plan["week"] or "{}")
        plan["days"] = [rules.show_day(week.get(str(day), [])) for day in WEEKDAYS]
    calendars = await HolidayCalendar.select().order_by(HolidayCalendar.name)
    days = await Holiday.select().order_by(Holiday.day)
    for calendar in calendars:
        calendar["holidays"] = [d for d in days if d["calendar"] == calendar["id"]]
    types = await TicketType.select(TicketType.slug, TicketType.name_en, TicketType.name_ru).order_by(
        TicketType.position
    )
    return {"plans": plans, "calendars": calendars, "types": types, "priorities": list(RANK)}


async def _plan(plan_id: int) -> SupportPlan:
    plan = await SupportPlan.objects().where(SupportPlan.id == plan_id).first()
    if plan is None:
        raise LevelNotFound()
    return plan


async def _calendar_id(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or not await HolidayCalendar.exists().where(HolidayCalendar.id == int(value)):
        raise LevelRefused("calendar_unknown", "calendar")
    return int(value)


async def create_plan(admin_id: int | None, slug: str, name_en: str, name_ru: str) -> SupportPlan:
    """A new plan starting as a copy of Standard's week, triage time, holidays and general targets."""
    slug, name_en = rules.slug(slug), rules.name(name_en)
    name_ru = rules.name(name_ru or name_en, "name_ru")
    model = await SupportPlan.objects().where(SupportPlan.slug == levels.FALLBACK_PLAN).first()
    try:
        async with write_transaction():
            if await SupportPlan.exists().where(SupportPlan.slug == slug):
                raise LevelRefused("level_slug_taken", "slug")
            last = await SupportPlan.select(SupportPlan.position).order_by(SupportPlan.position, ascending=False)
            plan = SupportPlan(
                slug=slug,
                name_en=name_en,
                name_ru=name_ru,
                position=(last[0]["position"] + 1) if last else 0,
                triage_minutes=model.triage_minutes if model else 15,
                week=model.week if model else "{}",
                holiday_calendar=model.holiday_calendar if model else None,
            )
            await plan.save()
            if model:
                general = await ServiceTarget.select().where(
                    (ServiceTarget.plan == model.id) & (ServiceTarget.ticket_type == "")
                )
                for row in general:
                    copied = {k: v for k, v in row.items() if k not in ("id", "plan")}
                    await ServiceTarget(plan=plan.id, **copied).save()
    except Exception as exc:
        if is_unique_violation(exc):  # another admin made it a moment ago
            raise LevelRefused("level_slug_taken", "slug") from None
        raise
    _changed(admin_id, "plan_created", plan=slug)
    return plan


async def save_plan(admin_id: int | None, plan_id: int, wanted: PlanSettings) -> None:
    plan = await _plan(plan_id)
    name_en, name_ru = rules.name(wanted.name_en), rules.name(wanted.name_ru, "name_ru")
    triage = rules.triage(wanted.triage_minutes)
    calendar = await _calendar_id(wanted.calendar)
    async with write_transaction():
        await SupportPlan.update(
            {
                SupportPlan.name_en: name_en,
                SupportPlan.name_ru: name_ru,
                SupportPlan.triage_minutes: triage,
                SupportPlan.holiday_calendar: calendar,
            }
        ).where(SupportPlan.id == plan.id)
    _changed(admin_id, "plan_saved", plan=plan.slug, triage_minutes=triage)


async def set_active(admin_id: int | None, plan_id: int, active: bool) -> None:
    """Retire a plan (organizations on it keep being served by it) or bring it back; one stays active."""
    plan = await _plan(plan_id)
    async with write_transaction():
        if not active and not await SupportPlan.exists().where(
            (SupportPlan.active == True) & (SupportPlan.id != plan.id)  # noqa: E712
        ):
            raise LevelRefused("plan_last_active", "active")
        await SupportPlan.update({SupportPlan.active: active}).where(SupportPlan.id == plan.id)
    _changed(admin_id, "plan_reactivated" if active else "plan_retired", plan=plan.slug)


async def save_target(admin_id: int | None, plan_id: int, form: TargetForm) -> None:
    """Set the targets of a priority, for every type ("") or one type (a row overriding the general one)."""
    plan = await _plan(plan_id)
    target = rules.target(
        form.priority,
        (form.ticket_type or "").strip(),
        form.first_response_minutes,
        form.resolution_minutes,
        form.around_the_clock,
        form.customer_choice,
        await known_types(),
    )
    values = {
        "first_response_minutes": target.first_response_minutes,
        "resolution_minutes": target.resolution_minutes,
        "around_the_clock": target.around_the_clock,
        "customer_choice": target.customer_choice,
    }
    same = (
        (ServiceTarget.plan == plan.id)
        & (ServiceTarget.priority == target.priority)
        & (ServiceTarget.ticket_type == target.ticket_type)
    )
    async with write_transaction():
        if not await ServiceTarget.update(values).where(same).returning(ServiceTarget.id):
            await ServiceTarget(plan=plan.id, priority=target.priority, ticket_type=target.ticket_type, **values).save()
    _changed(admin_id, "target_saved", plan=plan.slug, priority=target.priority, type=target.ticket_type or "*")


async def delete_target(admin_id: int | None, plan_id: int, target_id: int) -> None:
    """Remove a type's own row: the type gets the priority's general targets again (those stay)."""
    plan = await _plan(plan_id)
    row = await ServiceTarget.select().where((ServiceTarget.id == target_id) & (ServiceTarget.plan == plan.id)).first()
    if row is None:
        raise LevelNotFound()
    if not row["ticket_type"]:
        raise LevelRefused("target_general_kept", "target")
    async with write_transaction():
        await ServiceTarget.delete().where(ServiceTarget.id == target_id)
    _changed(admin_id, "target_deleted", plan=plan.slug, priority=row["priority"], type=row["ticket_type"])


async def save_week(admin_id: int | None, plan_id: int, days: dict[int, str]) -> None:
    """The plan's business hours, one text per weekday ("09:00-13:00, 14:00-18:00"; "" for a day off)."""
    plan = await _plan(plan_id)
    week = rules.week({day: rules.day_text(days.get(day, ""), day) for day in WEEKDAYS})
    async with write_transaction():
        await SupportPlan.update({SupportPlan.week: json.dumps(week)}).where(SupportPlan.id == plan.id)
    _changed(admin_id, "week_saved", plan=plan.slug)


async def create_calendar(admin_id: int | None, slug: str, label: str) -> HolidayCalendar:
    slug, label = rules.calendar_slug(slug), rules.name(label, "name")
    try:
        async with write_transaction():
            if await HolidayCalendar.exists().where(HolidayCalendar.slug == slug):
                raise LevelRefused("level_slug_taken", "slug")
            calendar = HolidayCalendar(slug=slug, name=label)
            await calendar.save()
    except Exception as exc:
        if is_unique_violation(exc):
            raise LevelRefused("level_slug_taken", "slug") from None
        raise
    _changed(admin_id, "calendar_created", calendar=slug)
    return calendar


async def _holiday_calendar(calendar_id: int) -> HolidayCalendar:
    calendar = await HolidayCalendar.objects().where(HolidayCalendar.id == calendar_id).first()
    if calendar is None:
        raise LevelNotFound()
    return calendar


async def add_holiday(admin_id: int | None, calendar_id: int, day: str, label: str) -> None:
    calendar = await _holiday_calendar(calendar_id)
    when, label = rules.holiday(day, label)
    async with write_transaction():
        if await Holiday.exists().where((Holiday.calendar == calendar.id) & (Holiday.day == when)):
            raise LevelRefused("holiday_duplicate", "day")
        await Holiday(calendar=calendar.id, day=when, name=label).save()
    _changed(admin_id, "holiday_added", calendar=calendar.slug, day=when.isoformat())


async def remove_holiday(admin_id: int | None, calendar_id: int, holiday_id: int) -> None:
    calendar = await _holiday_calendar(calendar_id)
    async with write_transaction():
        gone = (
            await Holiday.delete()
            .where((Holiday.id == holiday_id) & (Holiday.calendar == calendar.id))
            .returning(Holiday.day)
        )
    if not gone:
        raise LevelNotFound()
    _changed(admin_id, "holiday_removed", calendar=calendar.slug, day=str(gone[0]["day"])[:10])
