"""Administration: accounts (staff and customers), roles, and organizations."""

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from auth import organizations, users
from auth.errors import InvalidInput
from auth.tables import Role, User
from portal.accounts import administration
from portal.settings import Settings
from portal.sla import levels
from portal.web.guards import ADMIN
from portal.web.routes import admin_groups, admin_organizations, admin_service_levels

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class NewUserForm(msgspec.Struct):
    email: str = ""
    name: str = ""
    role: str = "agent"
    organization: str = ""
    locale: str = "en"


class UserForm(msgspec.Struct):
    role: str = "customer"
    organization: str = ""
    active: str = ""


class OrganizationForm(msgspec.Struct):
    name: str = ""
    support_plan: str = "standard"
    shares_tickets: str = ""


async def _users_page(q: FromQuery[str] = "", status: int = 200, **context: object) -> Template:
    return Template(
        template_name="admin/users.html",
        status_code=status,
        context={
            "users": await users.list_users(q),
            "q": q,
            "roles": list(Role),
            "organizations": await organizations.list_all(),
            **context,
        },
    )


@get("/admin/users", opt=ADMIN)
async def users_page(q: FromQuery[str] = "", done: FromQuery[str | None] = None) -> Template:
    return await _users_page(q[:100], done=done)


@post("/admin/users", opt=ADMIN)
async def create_user(data: Annotated[NewUserForm, FORM], settings: NamedDependency[Settings]) -> Response:
    try:
        await administration.invite(settings, data.email, data.name, data.role, data.organization, data.locale)
    except InvalidInput as exc:
        return await _users_page(status=400, error=exc.code, form=data)
    return Redirect(path="/admin/users?done=user_created")


@get("/admin/users/{user_id:int}", opt=ADMIN)
async def user_page(user_id: FromPath[int], done: FromQuery[str | None] = None) -> Template:
    return Template(
        template_name="admin/user.html",
        context={
            "account": await users.get(user_id),
            "roles": list(Role),
            "organizations": await organizations.list_all(),
            "done": done,
        },
    )


@post("/admin/users/{user_id:int}", opt=ADMIN)
async def save_user(user_id: FromPath[int], data: Annotated[UserForm, FORM], viewer: NamedDependency[User]) -> Response:
    account = await users.get(user_id)
    try:
        await administration.save_user(viewer, account, data.role, data.organization, bool(data.active))
    except InvalidInput as exc:
        return Template(
            template_name="admin/user.html",
            status_code=400,
            context={
                "account": account,
                "roles": list(Role),
                "organizations": await organizations.list_all(),
                "error": exc.code,
            },
        )
    return Redirect(path=f"/admin/users/{user_id}?done=user_saved")


async def _organizations_page(status: int = 200, **context: object) -> Template:
    return Template(
        template_name="admin/organizations.html",
        status_code=status,
        context={"organizations": await organizations.list_all(), "plans": await levels.plans(), **context},
    )


@get("/admin/organizations", opt=ADMIN)
async def organizations_page(done: FromQuery[str | None] = None) -> Template:
    return await _organizations_page(done=done)


@post("/admin/organizations", opt=ADMIN)
async def create_organization(data: Annotated[OrganizationForm, FORM]) -> Response:
    try:
        await administration.create_organization(data.name, data.support_plan, bool(data.shares_tickets))
    except InvalidInput as exc:
        return await _organizations_page(status=400, error=exc.code, form=data)
    return Redirect(path="/admin/organizations?done=organization_created")


@post("/admin/organizations/{organization_id:int}", opt=ADMIN)
async def save_organization(organization_id: FromPath[int], data: Annotated[OrganizationForm, FORM]) -> Response:
    try:
        await administration.save_organization(organization_id, data.support_plan, bool(data.shares_tickets))
    except InvalidInput as exc:
        return await _organizations_page(status=400, error=exc.code)
    return Redirect(path="/admin/organizations?done=organization_saved")


ROUTES = [
    users_page,
    create_user,
    user_page,
    save_user,
    organizations_page,
    create_organization,
    save_organization,
    *admin_groups.ROUTES,
    *admin_organizations.ROUTES,
    *admin_service_levels.ROUTES,
]
