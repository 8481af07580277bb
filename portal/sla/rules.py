"""What a valid service level is: plan names, targets, the business week, triage time and holidays,
checked without touching the database (portal.sla.levels_admin and `portal sla import` both ask here)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from portal.sla.policy import RANK

MAX_MINUTES = 10 * 366 * 24 * 60  # ten years: beyond that a target is a typo
MAX_TRIAGE = 7 * 24 * 60
MAX_NAME = 100
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,19}")
_CALENDAR_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")


class LevelNotFound(LookupError):
    """No such plan, target, holiday calendar or holiday."""


class LevelRefused(ValueError):
    """A service-level change refused: `code` names the reason (portal.web.messages), `field` the input."""

    def __init__(self, code: str, field: str = "") -> None:
        super().__init__(code)
        self.code, self.field = code, field


@dataclass(frozen=True, slots=True)
class Target:
    priority: str
    ticket_type: str  # "" for every type without a row of its own
    first_response_minutes: int
    resolution_minutes: int | None
    around_the_clock: bool
    customer_choice: bool


def slug(value: str, field: str = "slug", pattern: re.Pattern = _SLUG) -> str:
    value = (value or "").strip().lower()
    if not pattern.fullmatch(value):
        raise LevelRefused("level_slug_invalid", field)
    return value


def calendar_slug(value: str) -> str:
    return slug(value, "slug", _CALENDAR_SLUG)


def name(value: str, field: str = "name_en") -> str:
    value = " ".join((value or "").split())
    if not value:
        raise LevelRefused("level_name_required", field)
    if len(value) > MAX_NAME:
        raise LevelRefused("level_name_too_long", field)
    return value


def minutes(value: object, field: str, *, required: bool = True, ceiling: int = MAX_MINUTES) -> int | None:
    """A positive whole number of minutes ("" or None: none, when not required)."""
    text = str(value).strip() if value is not None else ""
    if not text and not required:
        return None
    if isinstance(value, bool) or not text.isdigit() or not 0 < int(text) <= ceiling:
        raise LevelRefused("triage_invalid" if field == "triage_minutes" else "target_minutes_invalid", field)
    return int(text)


def triage(value: object) -> int:
    return minutes(value, "triage_minutes", ceiling=MAX_TRIAGE)


def target(
    priority: str,
    ticket_type: str,
    first: object,
    resolution: object,
    around_the_clock: bool,
    customer_choice: bool,
    known_types: frozenset[str],
) -> Target:
    if priority not in RANK:
        raise LevelRefused("priority_invalid", "priority")
    if ticket_type and ticket_type not in known_types:
        raise LevelRefused("type_unknown", "ticket_type")
    first_minutes = minutes(first, "first_response_minutes")
    resolution_minutes = minutes(resolution, "resolution_minutes", required=False)
    if resolution_minutes is not None and resolution_minutes < first_minutes:
        raise LevelRefused("resolution_before_first_response", "resolution_minutes")
    return Target(priority, ticket_type, first_minutes, resolution_minutes, around_the_clock, customer_choice)


def distinct_targets(targets: list[Target]) -> list[Target]:
    """A plan's targets, each (priority, type) once, and every priority with a general row."""
    seen = {(t.priority, t.ticket_type) for t in targets}
    if len(seen) != len(targets):
        raise LevelRefused("target_duplicate", "targets")
    if not {t.priority for t in targets if not t.ticket_type} >= set(RANK):
        raise LevelRefused("target_general_missing", "targets")
    return targets


def _clock(text: str, field: str) -> str:
    text = (text or "").strip()
    if not _CLOCK.fullmatch(text):
        raise LevelRefused("hours_time_invalid", field)
    return text


def _minute_of(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def week(days: dict[int, list[tuple[str, str]]]) -> dict[str, list[list[str]]]:
    """The business week as stored ({"0": [["09:00", "18:00"]], …}): times as HH:MM ("24:00" ends a
    day), each interval starting before it ends, no two overlapping, at least one working interval."""
    stored: dict[str, list[list[str]]] = {}
    for day, spans in sorted(days.items()):
        field = f"day{day}"
        if not isinstance(day, int) or not 0 <= day <= 6:
            raise LevelRefused("hours_day_invalid", field)
        checked = []
        for start, end in spans:
            start, end = _clock(start, field), _clock(end, field)
            if start == "24:00" or _minute_of(start) >= _minute_of(end):
                raise LevelRefused("hours_inverted", field)
            checked.append([start, end])
        checked.sort(key=lambda span: _minute_of(span[0]))
        for earlier, later in pairwise(checked):
            if _minute_of(later[0]) < _minute_of(earlier[1]):
                raise LevelRefused("hours_overlap", field)
        if checked:
            stored[str(day)] = checked
    if not stored:
        raise LevelRefused("week_empty", "week")
    return stored


def day_text(text: str, day: int) -> list[tuple[str, str]]:
    """One weekday as the form writes it: "09:00-13:00, 14:00-18:00" ("" for a day off)."""
    spans = []
    for part in (text or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        start, dash, end = part.replace("–", "-").partition("-")
        if not dash:
            raise LevelRefused("hours_time_invalid", f"day{day}")
        spans.append((start.strip(), end.strip()))
    return spans


def show_day(spans: list[list[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in spans)


def holiday(day: object, label: str) -> tuple[date, str]:
    try:
        when = day if isinstance(day, date) else date.fromisoformat(str(day or "").strip())
    except ValueError:
        raise LevelRefused("holiday_day_invalid", "day") from None
    label = " ".join((label or "").split())
    if len(label) > MAX_NAME:
        raise LevelRefused("level_name_too_long", "name")
    return when, label


def distinct_days(days: list[date]) -> None:
    if len(set(days)) != len(days):
        raise LevelRefused("holiday_duplicate", "day")
