"""Organizations: the customer companies, their support plan and whether members share tickets."""

from __future__ import annotations

from piccolo.query.functions.aggregate import Count

from auth.errors import InvalidInput, NotFound
from auth.tables import Organization, SupportPlan, User


def clean_org_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise InvalidInput("name", "organization_name_invalid")
    return name


async def create(name: str, plan: str = SupportPlan.STANDARD, shares_tickets: bool = False) -> Organization:
    """`plan` names a support plan the caller has checked exists (the portal keeps them as data)."""
    name = clean_org_name(name)
    if await find_by_name(name) is not None:
        raise InvalidInput("name", "organization_exists")
    org = Organization(name=name, support_plan=str(plan), shares_tickets=shares_tickets)
    await org.save()
    return org


async def find_by_name(name: str) -> Organization | None:
    """Names are unique regardless of case (compared here: SQLite has no ILIKE for non-ASCII)."""
    wanted = clean_org_name(name).casefold()
    for row in await Organization.select(Organization.id, Organization.name):
        if row["name"].casefold() == wanted:
            return await Organization.objects().where(Organization.id == row["id"]).first()
    return None


async def get(organization_id: int) -> Organization:
    org = await Organization.objects().where(Organization.id == organization_id).first()
    if org is None:
        raise NotFound()
    return org


async def update(org: Organization, plan: str, shares_tickets: bool) -> Organization:
    org.support_plan = str(plan)
    org.shares_tickets = shares_tickets
    await org.save([Organization.support_plan, Organization.shares_tickets])
    return org


async def list_all() -> list[dict]:
    orgs = await Organization.select().order_by(Organization.name)
    counts = await User.select(User.organization, Count(User.id, alias="members")).group_by(User.organization)
    members = {row["organization"]: row["members"] for row in counts}
    return [{**org, "members": members.get(org["id"], 0)} for org in orgs]
