import os

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T13:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "service levels out of the box: Standard and Premium as the help article promises them"

OFFICE_WEEK = '{"0": [["09:00", "18:00"]], "1": [["09:00", "18:00"]], "2": [["09:00", "18:00"]], "3": [["09:00", "18:00"]], "4": [["09:00", "18:00"]]}'  # noqa: E501
PLANS = [("standard", "Standard", "Стандарт"), ("premium", "Premium", "Премиум")]
H = 60
# plan → priority → (first response, resolution) in minutes, customers may choose it, 24/7
GENERAL = {
    "standard": {
        "low": (24 * H, 90 * H, True, False),
        "normal": (8 * H, 45 * H, True, False),
        "high": (4 * H, 18 * H, True, False),
        "urgent": (2 * H, 9 * H, False, False),
    },
    "premium": {
        "low": (8 * H, 45 * H, True, False),
        "normal": (4 * H, 27 * H, True, False),
        "high": (2 * H, 9 * H, True, False),
        "urgent": (1 * H, 4 * H, True, True),
    },
}
# A critical incident gets at least these priorities' targets; ideas and opinions have no resolution target.
FLOOR = {"critical_incident": {"standard": "high", "premium": "urgent"}}
NO_RESOLUTION = ("feature_request", "feedback")
RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def triage_minutes(env=os.environ) -> int:
    """PORTAL_TRIAGE_MINUTES when the database is created (15 by default, as in the seeds)."""
    value = env.get("PORTAL_TRIAGE_MINUTES", "").strip() or "15"
    if not value.isdigit() or not 0 < int(value) <= 10_080:
        raise ValueError("PORTAL_TRIAGE_MINUTES must be a whole number of minutes, 1-10080")
    return int(value)


def _target(plan: str, priority: str, ticket_type: str, first: int, resolve, choice: bool, always: bool) -> str:
    resolution = "NULL" if resolve is None else str(resolve)
    return (
        "INSERT INTO sla_target (plan, priority, ticket_type, first_response_minutes, resolution_minutes, "
        f"around_the_clock, customer_choice) SELECT id, '{priority}', '{ticket_type}', {first}, {resolution}, "
        f"{'true' if always else 'false'}, {'true' if choice else 'false'} FROM sla_plan WHERE slug = '{plan}'"
    )


def statements(triage: int) -> list[str]:
    """The rows a new database starts with (tests/conftest.py puts them back after truncating)."""
    out = ["INSERT INTO sla_calendar (slug, name) VALUES ('default', 'Public holidays')"]
    for position, (slug, name_en, name_ru) in enumerate(PLANS):
        out.append(
            "INSERT INTO sla_plan (slug, name_en, name_ru, active, position, triage_minutes, week, holiday_calendar) "
            f"SELECT '{slug}', '{name_en}', '{name_ru}', true, {position}, {triage}, '{OFFICE_WEEK}', id "
            "FROM sla_calendar WHERE slug = 'default'"
        )
    for plan, targets in GENERAL.items():
        for priority, (first, resolve, choice, always) in targets.items():
            out.append(_target(plan, priority, "", first, resolve, choice, always))
            for ticket_type, floors in FLOOR.items():
                floor = floors[plan]
                if RANK[floor] > RANK[priority]:
                    f_first, f_resolve, _choice, f_always = targets[floor]
                    out.append(_target(plan, priority, ticket_type, f_first, f_resolve, choice, f_always))
            for ticket_type in NO_RESOLUTION:
                out.append(_target(plan, priority, ticket_type, first, None, choice, always))
    return out


async def _seed():
    engine = engine_finder()
    # Constants of this file and a checked number, not input: formatting them into statements is safe.
    for statement in statements(triage_minutes()):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sla", description=DESCRIPTION)
    manager.add_raw(_seed)
    return manager
