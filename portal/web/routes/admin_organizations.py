"""One organization for admins: coordinator, time zone, holiday calendar, and its members."""

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from auth import users
from auth.errors import InvalidInput
from portal.accounts import organizations_admin
from portal.accounts.organizations_admin import OrganizationSettings
from portal.web.guards import ADMIN
from portal.web.routes.staff_tickets import FORM


class SettingsForm(msgspec.Struct):
    coordinator: str = ""
    time_zone: str = "UTC"
    calendar: str = ""


class MemberForm(msgspec.Struct):
    email: str = ""


async def _page(organization_id: int, status: int = 200, **context: object) -> Template:
    return Template(
        template_name="admin/organization.html",
        status_code=status,
        context={
            **await organizations_admin.details(organization_id),
            "coordinators": await organizations_admin.coordinators(),
            "calendars": await organizations_admin.calendars(),
            "time_zones": users.time_zones(),
            **context,
        },
    )


@get("/admin/organizations/{organization_id:int}", opt=ADMIN)
async def organization_page(organization_id: FromPath[int], done: FromQuery[str | None] = None) -> Template:
    return await _page(organization_id, done=done)


@post("/admin/organizations/{organization_id:int}/settings", opt=ADMIN)
async def save_settings(organization_id: FromPath[int], data: Annotated[SettingsForm, FORM]) -> Response:
    try:
        await organizations_admin.configure(
            organization_id, OrganizationSettings(data.coordinator, data.time_zone, data.calendar)
        )
    except InvalidInput as exc:
        return await _page(organization_id, status=400, error=exc.code, invalid=exc.field)
    return Redirect(path=f"/admin/organizations/{organization_id}?done=organization_saved")


@post("/admin/organizations/{organization_id:int}/members", opt=ADMIN)
async def add_member(organization_id: FromPath[int], data: Annotated[MemberForm, FORM]) -> Response:
    try:
        await organizations_admin.add_member(organization_id, data.email)
    except InvalidInput as exc:
        return await _page(organization_id, status=400, error=exc.code, invalid=exc.field, member_email=data.email)
    return Redirect(path=f"/admin/organizations/{organization_id}?done=organization_member_added")


@post("/admin/organizations/{organization_id:int}/members/{user_id:int}/remove", opt=ADMIN)
async def remove_member(organization_id: FromPath[int], user_id: FromPath[int]) -> Response:
    await organizations_admin.remove_member(organization_id, user_id)
    return Redirect(path=f"/admin/organizations/{organization_id}?done=organization_member_removed")


ROUTES = [organization_page, save_settings, add_member, remove_member]
