"""Ticket types and the custom fields asked for each, with the answers checked against them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from portal.tickets.errors import TicketError
from portal.tickets.tables import CustomField, TicketType

MAX_FIELD = 500


async def active_types() -> list[dict]:
    return await TicketType.select().where(TicketType.active == True).order_by(TicketType.position)  # noqa: E712


async def check_type(slug: str) -> str:
    if not await TicketType.exists().where((TicketType.slug == slug) & (TicketType.active == True)):  # noqa: E712
        raise TicketError("type_unknown", "type")
    return slug


async def fields_of(slug: str) -> list[dict]:
    return (
        await CustomField.select()
        .where(
            (CustomField.ticket_type.slug == slug) & (CustomField.active == True)  # noqa: E712
        )
        .order_by(CustomField.position)
    )


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
