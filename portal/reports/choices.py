"""What the reports' filter form offers: organizations, plans, groups, types, priorities, channels, agents."""

from __future__ import annotations

from auth.tables import Organization
from portal import i18n
from portal.sla import levels
from portal.sla.policy import RANK
from portal.tickets import assignment, types
from portal.tickets.filing import CHANNELS
from portal.tickets.tables import StaffGroup


async def filter_choices(everyone: bool) -> dict[str, list[tuple[str, str]]]:
    """(value, label) pairs per filter; no agent choice for a viewer who sees only their own figures."""
    ru = i18n.current_locale() == "ru"
    organizations = await Organization.select(Organization.id, Organization.name).order_by(Organization.name)
    groups = await StaffGroup.select(StaffGroup.id, StaffGroup.name).order_by(StaffGroup.name)
    return {
        "organization": [(str(o["id"]), o["name"]) for o in organizations],
        "plan": [(p["slug"], levels.name_in_language(p["name_en"], p["name_ru"])) for p in await levels.plans()],
        "group": [(str(g["id"]), g["name"]) for g in groups],
        "type": [(t["slug"], t["name_ru"] if ru else t["name_en"]) for t in await types.active_types()],
        "priority": [(p, p) for p in RANK],
        "channel": [(c, c) for c in CHANNELS],
        "agent": [(str(a["id"]), a["name"]) for a in await assignment.assignable_agents()] if everyone else [],
    }
