"""What admins do to other people's accounts and to organizations: roles, status, membership."""

from __future__ import annotations

from auth import organizations, users
from auth.errors import InvalidInput
from auth.tables import Organization, Role, User
from portal import i18n, logs
from portal.accounts.flows import create_account
from portal.db import write_transaction
from portal.settings import Settings
from portal.sla import levels


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("role", "invalid_role") from None


async def _plan(value: str, current: str | None = None) -> str:
    """A plan the service levels offer; an organization may stay on the retired plan it is on."""
    offered = {p["slug"] for p in await levels.plans() if p["active"] or p["slug"] == current}
    if value not in offered:
        raise InvalidInput("support_plan", "invalid_input")
    return value


def _organization_id(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput("organization", "organization_unknown")
    return int(value)


async def invite(settings: Settings, email: str, name: str, role: str, organization: str, locale: str) -> User:
    """A verified account an admin makes; its owner is mailed a link to choose a password."""
    return await create_account(
        settings,
        email,
        name,
        _role(role),
        _organization_id(organization),
        locale=locale if locale in i18n.LOCALES else "en",
    )


async def save_user(admin: User, account: User, role: str, organization: str, active: bool) -> User:
    """Role, organization and whether the account may sign in; an admin cannot demote or lock out
    themselves (someone must remain able to undo it). InvalidInput names the field at fault."""
    new_role = _role(role)
    if account.id == admin.id and (new_role != Role(admin.role) or not active):
        raise InvalidInput("role", "own_role")
    role_was, active_was, organization_was = Role(account.role), account.is_active, account.organization
    async with write_transaction():
        org_id = _organization_id(organization)
        if org_id is not None and not await users.organization_exists(org_id):
            raise InvalidInput("organization", "organization_unknown")
        saved = await users.set_role_and_status(account, new_role, org_id, active)
    if (role_was, active_was, organization_was) != (new_role, active, org_id):
        logs.security_event(
            "account_changed",
            "success",
            user_id=admin.id,
            target_user=account.id,
            role=f"{role_was.value}->{new_role.value}",
            active=f"{active_was}->{active}",
            organization=f"{organization_was}->{org_id}",
        )
    return saved


async def create_organization(name: str, plan: str, shares_tickets: bool) -> Organization:
    plan = await _plan(plan)
    async with write_transaction():
        return await organizations.create(name, plan, shares_tickets)


async def save_organization(organization_id: int, plan: str, shares_tickets: bool) -> Organization:
    org = await organizations.get(organization_id)
    plan = await _plan(plan, org.support_plan)
    async with write_transaction():
        return await organizations.update(org, plan, shares_tickets)
