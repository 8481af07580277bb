"""Service levels as one JSON document (`portal sla export|import`): plans with their targets, week and
triage time, and holiday calendars. An import is checked whole by portal.sla.rules, then applied in one
transaction, writing only what differs: importing an export changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from portal import logs
from portal.db import write_transaction
from portal.sla import levels, rules
from portal.sla.levels_admin import known_types
from portal.sla.rules import LevelRefused, Target
from portal.sla.tables import Holiday, HolidayCalendar, ServiceTarget, SupportPlan

VERSION = 1
TARGET_FIELDS = ("first_response_minutes", "resolution_minutes", "around_the_clock", "customer_choice")


@dataclass(frozen=True, slots=True)
class Calendar:
    slug: str
    name: str
    holidays: dict[date, str]


@dataclass(frozen=True, slots=True)
class Plan:
    slug: str
    name_en: str
    name_ru: str
    active: bool
    position: int
    triage_minutes: int
    week: dict[str, list[list[str]]]
    holiday_calendar: str | None
    targets: list[Target]


async def export() -> dict:
    """Every plan and holiday calendar, in a stable order (two exports of one database are equal)."""
    calendars = await HolidayCalendar.select().order_by(HolidayCalendar.slug)
    days = await Holiday.select().order_by(Holiday.day)
    slugs = {c["id"]: c["slug"] for c in calendars}
    plans = await SupportPlan.select().order_by(SupportPlan.position).order_by(SupportPlan.slug)
    targets = await ServiceTarget.select().order_by(ServiceTarget.priority).order_by(ServiceTarget.ticket_type)
    return {
        "version": VERSION,
        "calendars": [
            {
                "slug": c["slug"],
                "name": c["name"],
                "holidays": [{"day": str(d["day"])[:10], "name": d["name"]} for d in days if d["calendar"] == c["id"]],
            }
            for c in calendars
        ],
        "plans": [
            {
                "slug": p["slug"],
                "name_en": p["name_en"],
                "name_ru": p["name_ru"],
                "active": p["active"],
                "position": p["position"],
                "triage_minutes": p["triage_minutes"],
                "week": json.loads(p["week"] or "{}"),
                "holiday_calendar": slugs.get(p["holiday_calendar"]),
                "targets": [
                    {"priority": t["priority"], "ticket_type": t["ticket_type"], **{f: t[f] for f in TARGET_FIELDS}}
                    for t in targets
                    if t["plan"] == p["id"]
                ],
            }
            for p in plans
        ],
    }


def _within(where: str, check):
    """Run a check, naming where in the document a refusal comes from."""
    try:
        return check()
    except LevelRefused as exc:
        raise LevelRefused(exc.code, f"{where}.{exc.field}" if exc.field else where) from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise LevelRefused("import_malformed", where) from None


def _calendar(raw: dict) -> Calendar:
    slug = rules.calendar_slug(raw["slug"])
    label = rules.name(raw["name"], "name")
    holidays = [rules.holiday(h["day"], h.get("name", "")) for h in raw.get("holidays", [])]
    rules.distinct_days([day for day, _label in holidays])
    return Calendar(slug, label, dict(holidays))


def _plan(raw: dict, types: frozenset[str]) -> Plan:
    if not isinstance(raw["active"], bool) or not isinstance(raw.get("position", 0), int):
        raise LevelRefused("import_malformed", "active")
    week = rules.week({int(day): [tuple(span) for span in spans] for day, spans in raw["week"].items()})
    targets = [
        _within(
            f"targets[{index}]",
            lambda t=t: rules.target(
                t["priority"],
                t.get("ticket_type", ""),
                t["first_response_minutes"],
                t.get("resolution_minutes"),
                bool(t.get("around_the_clock", False)),
                bool(t.get("customer_choice", True)),
                types,
            ),
        )
        for index, t in enumerate(raw["targets"])
    ]
    return Plan(
        rules.slug(raw["slug"]),
        rules.name(raw["name_en"]),
        rules.name(raw["name_ru"], "name_ru"),
        raw["active"],
        raw.get("position", 0),
        rules.triage(raw["triage_minutes"]),
        week,
        raw.get("holiday_calendar") or None,
        rules.distinct_targets(targets),
    )


async def check(document: object) -> tuple[list[Calendar], list[Plan]]:
    """The document's calendars and plans, every rule checked; LevelRefused names the first fault."""
    if not isinstance(document, dict) or not isinstance(document.get("plans"), list):
        raise LevelRefused("import_malformed", "plans")
    if document.get("version", VERSION) != VERSION:
        raise LevelRefused("import_version", "version")
    calendars = [
        _within(f"calendars[{index}]", lambda raw=raw: _calendar(raw))
        for index, raw in enumerate(document.get("calendars") or [])
    ]
    types = await known_types()
    plans = [
        _within(
            f"plans[{raw.get('slug', index) if isinstance(raw, dict) else index}]", lambda raw=raw: _plan(raw, types)
        )
        for index, raw in enumerate(document["plans"])
    ]
    for kind, slugs in (("calendars", [c.slug for c in calendars]), ("plans", [p.slug for p in plans])):
        if len(set(slugs)) != len(slugs):
            raise LevelRefused("import_duplicate", kind)
    named = {c.slug for c in calendars} | {row["slug"] for row in await HolidayCalendar.select(HolidayCalendar.slug)}
    for plan in plans:
        if plan.holiday_calendar is not None and plan.holiday_calendar not in named:
            raise LevelRefused("calendar_unknown", f"plans[{plan.slug}].holiday_calendar")
    return calendars, plans


async def import_levels(document: object, actor: str = "command line") -> int:
    """Apply a checked document in one transaction (all or nothing); returns how many rows changed."""
    calendars, plans = await check(document)
    async with write_transaction():
        changes = 0
        for calendar in calendars:
            changes += await _apply_calendar(calendar)
        ids = {row["slug"]: row["id"] for row in await HolidayCalendar.select(HolidayCalendar.id, HolidayCalendar.slug)}
        for plan in plans:
            changes += await _apply_plan(plan, ids)
        if not await SupportPlan.exists().where(SupportPlan.active == True):  # noqa: E712
            raise LevelRefused("plan_last_active", "plans")
    levels.forget()
    logs.security_event("service_levels_imported", "success", client=actor, changes=changes)
    return changes


async def _apply_calendar(calendar: Calendar) -> int:
    row = await HolidayCalendar.select().where(HolidayCalendar.slug == calendar.slug).first()
    changes = 0
    if row is None:
        made = await HolidayCalendar.insert(HolidayCalendar(slug=calendar.slug, name=calendar.name)).returning(
            HolidayCalendar.id
        )
        row, changes = {"id": made[0]["id"], "name": calendar.name}, 1
    elif row["name"] != calendar.name:
        await HolidayCalendar.update({HolidayCalendar.name: calendar.name}).where(HolidayCalendar.id == row["id"])
        changes += 1
    stored = {
        date.fromisoformat(str(h["day"])[:10]): h for h in await Holiday.select().where(Holiday.calendar == row["id"])
    }
    for day, held in stored.items():
        if day not in calendar.holidays:
            await Holiday.delete().where(Holiday.id == held["id"])
            changes += 1
        elif held["name"] != calendar.holidays[day]:
            await Holiday.update({Holiday.name: calendar.holidays[day]}).where(Holiday.id == held["id"])
            changes += 1
    for day, label in calendar.holidays.items():
        if day not in stored:
            await Holiday(calendar=row["id"], day=day, name=label).save()
            changes += 1
    return changes


async def _apply_plan(plan: Plan, calendar_ids: dict[str, int]) -> int:
    values = {
        "name_en": plan.name_en,
        "name_ru": plan.name_ru,
        "active": plan.active,
        "position": plan.position,
        "triage_minutes": plan.triage_minutes,
        "week": json.dumps(plan.week),
        "holiday_calendar": calendar_ids.get(plan.holiday_calendar) if plan.holiday_calendar else None,
    }
    row = await SupportPlan.select().where(SupportPlan.slug == plan.slug).first()
    changes = 0
    if row is None:
        made = await SupportPlan.insert(SupportPlan(slug=plan.slug, **values)).returning(SupportPlan.id)
        plan_id, changes = made[0]["id"], 1
    else:
        plan_id = row["id"]
        same = {**row, "week": json.dumps(json.loads(row["week"] or "{}"))}
        differs = {key: value for key, value in values.items() if same[key] != value}
        if differs:
            await SupportPlan.update(differs).where(SupportPlan.id == plan_id)
            changes += 1
    stored = {
        (t["priority"], t["ticket_type"]): t for t in await ServiceTarget.select().where(ServiceTarget.plan == plan_id)
    }
    wanted = {(t.priority, t.ticket_type): t for t in plan.targets}
    for key, held in stored.items():
        if key not in wanted:
            await ServiceTarget.delete().where(ServiceTarget.id == held["id"])
            changes += 1
    for key, target in wanted.items():
        fields = {f: getattr(target, f) for f in TARGET_FIELDS}
        if key not in stored:
            await ServiceTarget(plan=plan_id, priority=target.priority, ticket_type=target.ticket_type, **fields).save()
            changes += 1
        elif any(stored[key][f] != value for f, value in fields.items()):
            await ServiceTarget.update(fields).where(ServiceTarget.id == stored[key]["id"])
            changes += 1
    return changes
