"""Administration of ticket types and their custom fields: add, rename, retire and restore."""

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from portal.tickets import admin_types, groups
from portal.tickets.admin_types import KINDS, TypeNotFound
from portal.tickets.errors import TicketError
from portal.web.guards import ADMIN

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class TypeForm(msgspec.Struct):
    slug: str = ""
    name_en: str = ""
    name_ru: str = ""


class FieldForm(msgspec.Struct):
    key: str = ""
    label_en: str = ""
    label_ru: str = ""
    kind: str = "text"
    choices: str = ""
    required: str = ""


class RouteForm(msgspec.Struct):
    group: str = ""  # a staff group's id, or empty for the general queue


class ActiveForm(msgspec.Struct):
    active: str = ""  # "1" restores, anything else retires


async def _types_page(status: int = 200, **context: object) -> Template:
    return Template(
        template_name="admin/ticket_types.html",
        status_code=status,
        context={"types": await admin_types.all_types(), "groups": await groups.all_groups(), **context},
    )


async def _type(type_id: int):
    try:
        return await admin_types.get_type(type_id)
    except TypeNotFound:
        raise NotFoundException() from None


async def _fields_page(type_id: int, status: int = 200, **context: object) -> Template:
    return Template(
        template_name="admin/ticket_type_fields.html",
        status_code=status,
        context={
            "ticket_type": await _type(type_id),
            "fields": await admin_types.fields_of_type(type_id),
            "kinds": KINDS,
            **context,
        },
    )


@get("/admin/ticket-types", opt=ADMIN)
async def types_page(done: FromQuery[str | None] = None) -> Template:
    return await _types_page(done=done)


@post("/admin/ticket-types", opt=ADMIN)
async def add_type(data: Annotated[TypeForm, FORM]) -> Response:
    try:
        await admin_types.add_type(data.slug, data.name_en, data.name_ru)
    except TicketError as exc:
        return await _types_page(status=400, error=exc.code, invalid=exc.field, form=data)
    return Redirect(path="/admin/ticket-types?done=ticket_type_created")


@post("/admin/ticket-types/{type_id:int}", opt=ADMIN)
async def rename_type(type_id: FromPath[int], data: Annotated[TypeForm, FORM]) -> Response:
    await _type(type_id)
    try:
        await admin_types.rename_type(type_id, data.name_en, data.name_ru)
    except TicketError as exc:
        return await _types_page(status=400, error=exc.code, invalid=exc.field, failed=type_id, renamed=data)
    return Redirect(path="/admin/ticket-types?done=ticket_type_saved")


@post("/admin/ticket-types/{type_id:int}/active", opt=ADMIN)
async def set_type_active(type_id: FromPath[int], data: Annotated[ActiveForm, FORM]) -> Response:
    await _type(type_id)
    ticket_type = await admin_types.set_type_active(type_id, data.active == "1")
    return Redirect(path=f"/admin/ticket-types?done=ticket_type_{'restored' if ticket_type.active else 'retired'}")


@post("/admin/ticket-types/{type_id:int}/group", opt=ADMIN)
async def route_type(type_id: FromPath[int], data: Annotated[RouteForm, FORM]) -> Response:
    await _type(type_id)
    try:
        await groups.route_type(type_id, int(data.group) if data.group.isdigit() else None)
    except groups.GroupNotFound:
        return await _types_page(status=400, error="group_not_found", failed=type_id)
    return Redirect(path="/admin/ticket-types?done=ticket_type_routed")


@get("/admin/ticket-types/{type_id:int}/fields", opt=ADMIN)
async def fields_page(type_id: FromPath[int], done: FromQuery[str | None] = None) -> Template:
    return await _fields_page(type_id, done=done)


@post("/admin/ticket-types/{type_id:int}/fields", opt=ADMIN)
async def add_field(type_id: FromPath[int], data: Annotated[FieldForm, FORM]) -> Response:
    await _type(type_id)
    try:
        await admin_types.add_field(
            type_id, data.key, data.label_en, data.label_ru, data.kind, data.choices, bool(data.required)
        )
    except TicketError as exc:
        return await _fields_page(type_id, status=400, error=exc.code, invalid=exc.field, form=data)
    return Redirect(path=f"/admin/ticket-types/{type_id}/fields?done=custom_field_created")


@post("/admin/ticket-types/{type_id:int}/fields/{field_id:int}/active", opt=ADMIN)
async def set_field_active(
    type_id: FromPath[int], field_id: FromPath[int], data: Annotated[ActiveForm, FORM]
) -> Response:
    try:
        field = await admin_types.set_field_active(type_id, field_id, data.active == "1")
    except TypeNotFound:
        raise NotFoundException() from None
    state = "restored" if field.active else "retired"
    return Redirect(path=f"/admin/ticket-types/{type_id}/fields?done=custom_field_{state}")


ROUTES = [types_page, add_type, rename_type, set_type_active, route_type, fields_page, add_field, set_field_active]
