"""Administration: accounts (staff and customers), roles, and organizations."""

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from auth import accounts, organizations
from auth.errors import InvalidInput
from auth.tables import Role, SupportPlan, User
from portal import accounts as account_flows
from portal.db import write_transaction
from portal.settings import Settings
from portal.web.guards import ADMIN

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


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("role", "invalid_role") from None


def _plan(value: str) -> SupportPlan:
    try:
        return SupportPlan(value)
    except ValueError:
        raise InvalidInput("support_plan", "invalid_input") from None


def _organization_id(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput("organization", "organization_unknown")
    return int(value)


async def _users_page(q: FromQuery[str] = "", status: int = 200, **context: object) -> Template:
    return Template(
        template_name="admin/users.html",
        status_code=status,
        context={
            "users": await accounts.list_users(q),
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
        await account_flows.create_account(
            settings,
            data.email,
            data.name,
            _role(data.role),
            _organization_id(data.organization),
            locale=data.locale if data.locale in ("en", "ru") else "en",
        )
    except InvalidInput as exc:
        return await _users_page(status=400, error=exc.code, form=data)
    return Redirect(path="/admin/users?done=user_created")


@get("/admin/users/{user_id:int}", opt=ADMIN)
async def user_page(user_id: FromPath[int], done: FromQuery[str | None] = None) -> Template:
    return Template(
        template_name="admin/user.html",
        context={
            "account": await accounts.get(user_id),
            "roles": list(Role),
            "organizations": await organizations.list_all(),
            "done": done,
        },
    )


@post("/admin/users/{user_id:int}", opt=ADMIN)
async def save_user(user_id: FromPath[int], data: Annotated[UserForm, FORM], viewer: NamedDependency[User]) -> Response:
    account = await accounts.get(user_id)
    try:
        role, active = _role(data.role), bool(data.active)
        if account.id == viewer.id and (role != Role(viewer.role) or not active):
            raise InvalidInput("role", "own_role")
        async with write_transaction():
            org_id = _organization_id(data.organization)
            if org_id is not None and not await accounts.organization_exists(org_id):
                raise InvalidInput("organization", "organization_unknown")
            await accounts.set_role_and_status(account, role, org_id, active)
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
        context={"organizations": await organizations.list_all(), "plans": list(SupportPlan), **context},
    )


@get("/admin/organizations", opt=ADMIN)
async def organizations_page(done: FromQuery[str | None] = None) -> Template:
    return await _organizations_page(done=done)


@post("/admin/organizations", opt=ADMIN)
async def create_organization(data: Annotated[OrganizationForm, FORM]) -> Response:
    try:
        async with write_transaction():
            await organizations.create(data.name, _plan(data.support_plan), bool(data.shares_tickets))
    except InvalidInput as exc:
        return await _organizations_page(status=400, error=exc.code, form=data)
    return Redirect(path="/admin/organizations?done=organization_created")


@post("/admin/organizations/{organization_id:int}", opt=ADMIN)
async def save_organization(organization_id: FromPath[int], data: Annotated[OrganizationForm, FORM]) -> Response:
    org = await organizations.get(organization_id)
    try:
        await organizations.update(org, _plan(data.support_plan), bool(data.shares_tickets))
    except InvalidInput as exc:
        return await _organizations_page(status=400, error=exc.code)
    return Redirect(path="/admin/organizations?done=organization_saved")


ROUTES = [users_page, create_user, user_page, save_user, organizations_page, create_organization, save_organization]
