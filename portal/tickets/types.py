"""Ticket types and the custom fields asked for each, with the answers checked against them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from auth.recent import RecentRows
from portal.db import current_engine
from portal.tickets.errors import TicketError
from portal.tickets.tables import CustomField, TicketType

MAX_FIELD = 500
CACHE_SECONDS = 5.0
# Per database: active type slug → its active custom fields; type slug → the group its tickets go to.
_CATALOG: RecentRows[tuple[int, str], dict[str, list[dict]]] = RecentRows(CACHE_SECONDS, 64)
_ROUTING: RecentRows[tuple[int, str], dict[str, int]] = RecentRows(CACHE_SECONDS, 64)


async def active_types() -> list[dict]:
    return await TicketType.select().where(TicketType.active == True).order_by(TicketType.position)  # noqa: E712


def _engine_key() -> tuple[int, str]:
    engine = current_engine()
    return (id(engine), str(getattr(engine, "path", "")) or str(getattr(engine, "config", "")))


async def routing() -> dict[str, int]:
    """Type slug → the staff group its new tickets go to, cached like the catalog."""
    key = _engine_key()
    routes = _ROUTING.get(key)
    if routes is None:
        rows = await TicketType.select(TicketType.slug, TicketType.staff_group).where(
            TicketType.staff_group.is_not_null()
        )
        routes = {row["slug"]: row["staff_group"] for row in rows}
        _ROUTING.put(key, routes)
    return routes


async def _catalog() -> dict[str, list[dict]]:
    """Active type slug → its active custom fields, read once every few seconds per process and
    database: filing a ticket must not cost two more queries (admin changes show within seconds)."""
    key = _engine_key()
    cached = _CATALOG.get(key)
    if cached is not None:
        return cached
    catalog: dict[str, list[dict]] = {
        row["slug"]: []
        for row in await TicketType.select(TicketType.slug).where(TicketType.active == True)  # noqa: E712
    }
    rows = (
        await CustomField.select(CustomField.all_columns(), CustomField.ticket_type.slug.as_alias("type_slug"))
        .where(CustomField.active == True)  # noqa: E712
        .order_by(CustomField.position)
    )
    for row in rows:
        if row["type_slug"] in catalog:
            catalog[row["type_slug"]].append(row)
    _CATALOG.put(key, catalog)
    return catalog


def forget() -> None:
    """Drop the cached catalog (after an admin changed types or fields in this process)."""
    _CATALOG.drop()
    _ROUTING.drop()


async def check_type(slug: str) -> str:
    if slug not in await _catalog():
        raise TicketError("type_unknown", "type")
    return slug


async def fields_of(slug: str) -> list[dict]:
    return (await _catalog()).get(slug, [])


def _value(field: dict, raw: str) -> str:
    raw = " ".join(raw.split())[:MAX_FIELD]
    kind = field["kind"]
    try:
        if kind == "number" and raw:
            Decimal(raw.replace(",", "."))
        elif kind == "date" and raw:
            date.fromisoformat(raw)
    except (InvalidOperation, ValueError):
        raise TicketError(f"field_{kind}_invalid", f"field_{field['key']}") from None
    if kind == "choice" and raw and raw not in field["choices"].splitlines():
        raise TicketError("field_choice_invalid", f"field_{field['key']}")
    return raw


async def check_fields(slug: str, answers: dict[str, str]) -> dict[str, str]:
    """The answers for the type's fields, checked; required ones must be there, unknown ones are dropped."""
    checked = {}
    for field in await fields_of(slug):
        value = _value(field, answers.get(field["key"], ""))
        if field["required"] and not value:
            raise TicketError("field_required", f"field_{field['key']}")
        if value:
            checked[field["key"]] = value
    return checked
