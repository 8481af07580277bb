"""Administering ticket types and their custom fields: adding, renaming, retiring and restoring them."""

from __future__ import annotations

import re

from piccolo.query.functions.aggregate import Max

from portal.db import is_unique_violation, write_transaction
from portal.tickets import types
from portal.tickets.errors import TicketError
from portal.tickets.tables import CustomField, TicketType

# Slugs and keys end up in stored tickets and API payloads: plain lower-case identifiers only.
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
MAX_SLUG = 40
MAX_NAME = 100
MAX_CHOICES = 100
KINDS = ("text", "number", "choice", "date")


class TypeNotFound(TicketError):
    def __init__(self) -> None:
        super().__init__("ticket_type_not_found")


def _identifier(value: str, code: str, field: str) -> str:
    value = (value or "").strip().lower()
    if not value or len(value) > MAX_SLUG or not IDENTIFIER.fullmatch(value):
        raise TicketError(code, field)
    return value


def _name(value: str, code: str, field: str, fallback: str = "") -> str:
    value = " ".join((value or "").split()) or fallback
    if not value:
        raise TicketError(f"{code}_required", field)
    if len(value) > MAX_NAME:
        raise TicketError(f"{code}_too_long", field)
    return value


def _names(name_en: str, name_ru: str, code: str, prefix: str) -> tuple[str, str]:
    """The English name is required; the Russian one falls back to it until someone translates it."""
    english = _name(name_en, code, f"{prefix}_en")
    return english, _name(name_ru, code, f"{prefix}_ru", fallback=english)


async def _next_position(table, *where) -> int:
    query = table.select(Max(table.position).as_alias("top"))
    for condition in where:
        query = query.where(condition)
    row = await query.first()
    top = row["top"] if row else None
    return 0 if top is None else top + 1


async def all_types() -> list[dict]:
    """Every type, active or retired, in the order customers see them, with its number of active fields."""
    types = await TicketType.select().order_by(TicketType.position).order_by(TicketType.id)
    fields = await CustomField.select(CustomField.ticket_type).where(CustomField.active == True)  # noqa: E712
    counts: dict[int, int] = {}
    for row in fields:
        counts[row["ticket_type"]] = counts.get(row["ticket_type"], 0) + 1
    return [{**row, "fields": counts.get(row["id"], 0)} for row in types]


async def get_type(type_id: int) -> TicketType:
    ticket_type = await TicketType.objects().where(TicketType.id == type_id).first()
    if ticket_type is None:
        raise TypeNotFound()
    return ticket_type


async def add_type(slug: str, name_en: str, name_ru: str) -> TicketType:
    slug = _identifier(slug, "type_slug_invalid", "slug")
    name_en, name_ru = _names(name_en, name_ru, "type_name", "name")
    try:
        async with write_transaction():
            if await TicketType.exists().where(TicketType.slug == slug):
                raise TicketError("type_slug_taken", "slug")
            ticket_type = TicketType(
                slug=slug, name_en=name_en, name_ru=name_ru, position=await _next_position(TicketType)
            )
            await ticket_type.save()
    except Exception as exc:
        if is_unique_violation(exc):  # another admin added the same slug a moment before
            raise TicketError("type_slug_taken", "slug") from None
        raise
    types.forget()
    return ticket_type


async def rename_type(type_id: int, name_en: str, name_ru: str) -> TicketType:
    name_en, name_ru = _names(name_en, name_ru, "type_name", "name")
    async with write_transaction():
        ticket_type = await get_type(type_id)
        ticket_type.name_en, ticket_type.name_ru = name_en, name_ru
        await ticket_type.save([TicketType.name_en, TicketType.name_ru])
    types.forget()
    return ticket_type


async def set_type_active(type_id: int, active: bool) -> TicketType:
    """Retire or restore a type: a retired one is no longer offered; tickets filed with it keep it."""
    async with write_transaction():
        ticket_type = await get_type(type_id)
        ticket_type.active = active
        await ticket_type.save([TicketType.active])
    types.forget()
    return ticket_type


async def fields_of_type(type_id: int) -> list[dict]:
    """Every field of a type, retired ones included (old tickets still carry their answers)."""
    return (
        await CustomField.select()
        .where(CustomField.ticket_type == type_id)
        .order_by(CustomField.position)
        .order_by(CustomField.id)
    )


def _choices(kind: str, choices: str) -> str:
    if kind not in KINDS:
        raise TicketError("field_kind_invalid", "kind")
    if kind != "choice":
        return ""
    unique = list(dict.fromkeys(" ".join(line.split()) for line in (choices or "").splitlines()))
    # The stored answer must be one of these lines exactly, so each is kept to what an answer may hold.
    lines = [line for line in unique if line][:MAX_CHOICES]
    if not lines:
        raise TicketError("field_choices_required", "choices")
    if any(len(line) > MAX_NAME for line in lines):
        raise TicketError("field_choice_too_long", "choices")
    return "\n".join(lines)


async def add_field(
    type_id: int, key: str, label_en: str, label_ru: str, kind: str, choices: str, required: bool
) -> CustomField:
    key = _identifier(key, "field_key_invalid", "key")
    label_en, label_ru = _names(label_en, label_ru, "field_label", "label")
    choices = _choices(kind, choices)
    async with write_transaction():
        await get_type(type_id)
        same_key = (CustomField.ticket_type == type_id) & (CustomField.key == key)
        if await CustomField.exists().where(same_key):
            raise TicketError("field_key_taken", "key")
        field = CustomField(
            ticket_type=type_id,
            key=key,
            label_en=label_en,
            label_ru=label_ru,
            kind=kind,
            choices=choices,
            required=required,
            position=await _next_position(CustomField, CustomField.ticket_type == type_id),
        )
        await field.save()
    types.forget()
    return field


async def set_field_active(type_id: int, field_id: int, active: bool) -> CustomField:
    """Retire or restore a field: a retired one is no longer asked; answers already given stay."""
    async with write_transaction():
        field = (
            await CustomField.objects()
            .where((CustomField.id == field_id) & (CustomField.ticket_type == type_id))
            .first()
        )
        if field is None:
            raise TypeNotFound()
        field.active = active
        await field.save([CustomField.active])
    types.forget()
    return field
