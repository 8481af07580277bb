"""What admins set on an organization beyond its name and plan: the personal coordinator, the time zone
its hours are counted in, its holiday calendar, and who its members are."""

from __future__ import annotations

from dataclasses import dataclass

from auth import organizations, sessions, users
from auth.errors import InvalidInput
from auth.tables import Organization, Role, User
from portal.db import write_transaction
from portal.sla import levels
from portal.sla.tables import HolidayCalendar, OrganizationCalendar

COORDINATOR_ROLES = (Role.AGENT.value, Role.SUPERVISOR.value, Role.ADMIN.value)


@dataclass(frozen=True, slots=True)
class OrganizationSettings:
    """The form's values as text ("" for none), as the page and the command line give them."""

    coordinator: str = ""  # a staff member's id
    time_zone: str = "UTC"
    calendar: str = ""  # a holiday calendar's id


async def calendars() -> list[dict]:
    return await HolidayCalendar.select(HolidayCalendar.id, HolidayCalendar.slug, HolidayCalendar.name).order_by(
        HolidayCalendar.name
    )


async def coordinators() -> list[dict]:
    """Who may coordinate an organization: active staff, by name."""
    active = (User.is_active == True) & User.role.is_in(list(COORDINATOR_ROLES))  # noqa: E712
    return await User.select(User.id, User.name, User.email).where(active).order_by(User.name)


async def details(organization_id: int) -> dict:
    """The organization with its members, its plan's name and the calendar it uses (NotFound when there is none)."""
    org = await organizations.get(organization_id)
    members = (
        await User.select(User.id, User.name, User.email, User.role)
        .where(User.organization == org.id)
        .order_by(User.name)
    )
    link = await OrganizationCalendar.select(OrganizationCalendar.calendar).where(
        OrganizationCalendar.organization == org.id
    )
    return {
        "organization": org,
        "members": members,
        "plan_name": await levels.plan_name(org.support_plan),
        "calendar": link[0]["calendar"] if link else None,
    }


def _id(value: str, field: str, code: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput(field, code)
    return int(value)


async def configure(organization_id: int, wanted: OrganizationSettings) -> Organization:
    """Coordinator, time zone and holiday calendar, all checked before anything is written."""
    org = await organizations.get(organization_id)
    coordinator = _id(wanted.coordinator, "coordinator", "coordinator_invalid")
    if coordinator is not None and not await User.exists().where(
        (User.id == coordinator) & (User.is_active == True) & User.role.is_in(list(COORDINATOR_ROLES))  # noqa: E712
    ):
        raise InvalidInput("coordinator", "coordinator_invalid")
    if wanted.time_zone not in users.time_zones():
        raise InvalidInput("time_zone", "invalid_time_zone")
    calendar = _id(wanted.calendar, "calendar", "calendar_unknown")
    if calendar is not None and not await HolidayCalendar.exists().where(HolidayCalendar.id == calendar):
        raise InvalidInput("calendar", "calendar_unknown")
    async with write_transaction():
        org.coordinator, org.time_zone = coordinator, wanted.time_zone
        await org.save([Organization.coordinator, Organization.time_zone])
        await OrganizationCalendar.delete().where(OrganizationCalendar.organization == org.id)
        if calendar is not None:
            await OrganizationCalendar(organization=org.id, calendar=calendar).save()
    levels.forget()  # the organization's days off, as this process remembers them
    return org


async def add_member(organization_id: int, email: str) -> User:
    """A customer account joins the organization (and leaves the one it was in)."""
    org = await organizations.get(organization_id)
    person = await users.find_by_email((email or "").strip())
    if person is None or person.role != Role.CUSTOMER.value:
        raise InvalidInput("email", "member_not_customer")
    async with write_transaction():
        await User.update({User.organization: org.id}).where(User.id == person.id)
    sessions.forget(user_id=person.id)  # what the member may see changes with this request, here at once
    return person


async def remove_member(organization_id: int, user_id: int) -> None:
    async with write_transaction():
        await User.update({User.organization: None}).where(
            (User.id == user_id) & (User.organization == organization_id)
        )
    sessions.forget(user_id=user_id)
