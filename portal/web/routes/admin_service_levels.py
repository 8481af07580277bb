"""Service levels for admins: plans with their targets, week and triage time, and holiday calendars."""

from collections.abc import Awaitable
from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from auth.tables import User
from portal.sla import levels_admin
from portal.sla.levels_admin import PlanSettings, TargetForm
from portal.sla.rules import LevelNotFound, LevelRefused
from portal.web.guards import ADMIN
from portal.web.routes.staff_tickets import FORM

HERE = "/admin/service-levels"


class NewPlanForm(msgspec.Struct):
    slug: str = ""
    name_en: str = ""
    name_ru: str = ""


class PlanForm(msgspec.Struct):
    name_en: str = ""
    name_ru: str = ""
    triage_minutes: str = ""
    calendar: str = ""


class ActiveForm(msgspec.Struct):
    active: str = ""


class TargetFields(msgspec.Struct):
    priority: str = ""
    ticket_type: str = ""
    first_response_minutes: str = ""
    resolution_minutes: str = ""
    around_the_clock: str = ""
    customer_choice: str = ""


class WeekForm(msgspec.Struct):
    day0: str = ""
    day1: str = ""
    day2: str = ""
    day3: str = ""
    day4: str = ""
    day5: str = ""
    day6: str = ""


class CalendarForm(msgspec.Struct):
    calendar_slug: str = ""
    calendar_name: str = ""


class HolidayForm(msgspec.Struct):
    day: str = ""
    name: str = ""


async def _page(plan_id: int | None = None, status: int = 200, **context: object) -> Template:
    levels = await levels_admin.overview()
    if plan_id is None:
        return Template("admin/service_levels.html", status_code=status, context={**levels, **context})
    plan = next((p for p in levels["plans"] if p["id"] == plan_id), None)
    if plan is None:
        raise LevelNotFound()
    return Template("admin/service_level.html", status_code=status, context={**levels, "plan": plan, **context})


async def _save(change: Awaitable, failed: str, plan_id: int | None = None, form: object = None) -> Response:
    """Run the change; a refusal shows the page again with the reason next to the form at fault."""
    try:
        await change
    except LevelRefused as exc:
        return await _page(plan_id, status=400, error=exc.code, invalid=exc.field, failed=failed, form=form)
    where = HERE if plan_id is None else f"{HERE}/{plan_id}"
    return Redirect(path=f"{where}?done=service_levels_saved#{failed}")


@get(HERE, opt=ADMIN)
async def levels_page(done: FromQuery[str | None] = None) -> Template:
    return await _page(done=done)


@get(HERE + "/{plan_id:int}", opt=ADMIN)
async def plan_page(plan_id: FromPath[int], done: FromQuery[str | None] = None) -> Template:
    return await _page(plan_id, done=done)


@post(HERE, opt=ADMIN)
async def create_plan(data: Annotated[NewPlanForm, FORM], viewer: NamedDependency[User]) -> Response:
    return await _save(
        levels_admin.create_plan(viewer.id, data.slug, data.name_en, data.name_ru), "new-plan", form=data
    )


@post(HERE + "/{plan_id:int}/settings", opt=ADMIN)
async def save_plan(plan_id: FromPath[int], data: Annotated[PlanForm, FORM], viewer: NamedDependency[User]) -> Response:
    wanted = PlanSettings(data.name_en, data.name_ru, data.triage_minutes, data.calendar)
    return await _save(levels_admin.save_plan(viewer.id, plan_id, wanted), "plan-settings", plan_id, data)


@post(HERE + "/{plan_id:int}/active", opt=ADMIN)
async def set_active(
    plan_id: FromPath[int], data: Annotated[ActiveForm, FORM], viewer: NamedDependency[User]
) -> Response:
    return await _save(levels_admin.set_active(viewer.id, plan_id, data.active == "1"), "plan-active", plan_id)


@post(HERE + "/{plan_id:int}/targets", opt=ADMIN)
async def save_target(
    plan_id: FromPath[int], data: Annotated[TargetFields, FORM], viewer: NamedDependency[User]
) -> Response:
    wanted = TargetForm(
        data.priority,
        data.ticket_type,
        data.first_response_minutes,
        data.resolution_minutes,
        data.around_the_clock == "1",
        data.customer_choice == "1",
    )
    return await _save(levels_admin.save_target(viewer.id, plan_id, wanted), "plan-target", plan_id, data)


@post(HERE + "/{plan_id:int}/targets/{target_id:int}/delete", opt=ADMIN)
async def delete_target(plan_id: FromPath[int], target_id: FromPath[int], viewer: NamedDependency[User]) -> Response:
    return await _save(levels_admin.delete_target(viewer.id, plan_id, target_id), "plan-targets", plan_id)


@post(HERE + "/{plan_id:int}/week", opt=ADMIN)
async def save_week(plan_id: FromPath[int], data: Annotated[WeekForm, FORM], viewer: NamedDependency[User]) -> Response:
    days = {day: getattr(data, f"day{day}") for day in levels_admin.WEEKDAYS}
    return await _save(levels_admin.save_week(viewer.id, plan_id, days), "plan-week", plan_id, data)


@post(HERE + "/calendars", opt=ADMIN)
async def create_calendar(data: Annotated[CalendarForm, FORM], viewer: NamedDependency[User]) -> Response:
    return await _save(
        levels_admin.create_calendar(viewer.id, data.calendar_slug, data.calendar_name), "new-calendar", form=data
    )


@post(HERE + "/calendars/{calendar_id:int}/holidays", opt=ADMIN)
async def add_holiday(
    calendar_id: FromPath[int], data: Annotated[HolidayForm, FORM], viewer: NamedDependency[User]
) -> Response:
    change = levels_admin.add_holiday(viewer.id, calendar_id, data.day, data.name)
    return await _save(change, f"calendar-{calendar_id}", form=data)


@post(HERE + "/calendars/{calendar_id:int}/holidays/{holiday_id:int}/remove", opt=ADMIN)
async def remove_holiday(
    calendar_id: FromPath[int], holiday_id: FromPath[int], viewer: NamedDependency[User]
) -> Response:
    return await _save(levels_admin.remove_holiday(viewer.id, calendar_id, holiday_id), f"calendar-{calendar_id}")


ROUTES = [
    levels_page,
    plan_page,
    create_plan,
    save_plan,
    set_active,
    save_target,
    delete_target,
    save_week,
    create_calendar,
    add_holiday,
    remove_holiday,
]
