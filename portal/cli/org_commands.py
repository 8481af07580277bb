"""`portal org …`: list, create and configure organizations, as /admin/organizations does."""

from __future__ import annotations

import click

from auth.errors import AccountError
from portal.cli import support


@click.group()
def org() -> None:
    """Organizations: plan, personal coordinator, time zone, holiday calendar, members."""


def _fail(exc: AccountError) -> click.ClickException:
    return click.ClickException(f"refused: {getattr(exc, 'field', '')} {exc}".replace("  ", " "))


@org.command("list")
def org_list() -> None:
    """Each organization: plan, members, coordinator, time zone."""
    from auth import organizations
    from auth.tables import User

    settings = support.settings()

    async def read():
        await support.ready(settings)
        people = {row["id"]: row["email"] for row in await User.select(User.id, User.email)}
        return [(row, people.get(row["coordinator"], "-")) for row in await organizations.list_all()]

    for row, coordinator in support.run(read()):
        click.echo(
            f"{row['id']}\t{row['name']}\t{row['support_plan']}\t{row['members']} members\t"
            f"coordinator {coordinator}\t{row['time_zone']}"
        )


@org.command("create")
@click.argument("name")
@click.option("--plan", default="standard", show_default=True)
@click.option("--shares-tickets", is_flag=True, help="Members see each other's tickets.")
def org_create(name: str, plan: str, shares_tickets: bool) -> None:
    """Add an organization."""
    from portal.accounts import administration

    settings = support.settings()

    async def create():
        await support.ready(settings)
        return await administration.create_organization(name, plan, shares_tickets)

    try:
        made = support.run(create())
    except AccountError as exc:
        raise _fail(exc) from exc
    click.echo(f"Created organization {made.name} (id {made.id}).")


@org.command("set")
@click.argument("name")
@click.option("--coordinator", default=None, help="The coordinator's email; 'none' for nobody.")
@click.option("--time-zone", default=None, help="For example Europe/Moscow.")
@click.option("--calendar", default=None, help="A holiday calendar's slug; 'none' for the plan's only.")
@click.option("--add-member", multiple=True, help="A customer's email (repeatable).")
@click.option("--remove-member", multiple=True, help="A member's email (repeatable).")
def org_set(
    name: str,
    coordinator: str | None,
    time_zone: str | None,
    calendar: str | None,
    add_member: tuple[str, ...],
    remove_member: tuple[str, ...],
) -> None:
    """Change an organization's coordinator, time zone, holiday calendar or members; unnamed options stay."""
    from auth import organizations, users
    from portal.accounts import organizations_admin
    from portal.accounts.organizations_admin import OrganizationSettings
    from portal.sla.tables import HolidayCalendar

    settings = support.settings()

    async def act() -> None:
        await support.ready(settings)
        found = await organizations.find_by_name(name)
        if found is None:
            raise click.ClickException(f"no organization named {name!r}")
        current = await organizations_admin.details(found.id)
        wanted = OrganizationSettings(str(found.coordinator or ""), found.time_zone, str(current["calendar"] or ""))
        if coordinator is not None:
            person = None if coordinator == "none" else await users.find_by_email(coordinator)
            if coordinator != "none" and person is None:
                raise click.ClickException(f"no account {coordinator}")
            wanted = OrganizationSettings(str(person.id) if person else "", wanted.time_zone, wanted.calendar)
        if time_zone is not None:
            wanted = OrganizationSettings(wanted.coordinator, time_zone, wanted.calendar)
        if calendar is not None:
            row = None
            if calendar != "none":
                row = await HolidayCalendar.select(HolidayCalendar.id).where(HolidayCalendar.slug == calendar).first()
                if row is None:
                    raise click.ClickException(f"no holiday calendar {calendar!r}")
            wanted = OrganizationSettings(wanted.coordinator, wanted.time_zone, str(row["id"]) if row else "")
        await organizations_admin.configure(found.id, wanted)
        for email in add_member:
            await organizations_admin.add_member(found.id, email)
        for email in remove_member:
            person = await users.find_by_email(email)
            if person is not None:
                await organizations_admin.remove_member(found.id, person.id)

    try:
        support.run(act())
    except AccountError as exc:
        raise _fail(exc) from exc
    click.echo(f"Saved organization {name}.")
