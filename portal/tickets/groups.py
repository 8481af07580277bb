"""Staff groups: their agents and attached supervisors, which ticket types route to them, and who hears
of a group's tickets (a supervisor attached to no group oversees them all)."""

from __future__ import annotations

from dataclasses import dataclass

from auth.tables import Role, User
from portal.db import is_unique_violation, write_transaction
from portal.tickets import types
from portal.tickets.errors import TicketError
from portal.tickets.tables import GroupMember, StaffGroup, TicketType

MAX_NAME = 100
SUPERVISING = (Role.SUPERVISOR.value, Role.ADMIN.value)


class GroupNotFound(TicketError):
    def __init__(self) -> None:
        super().__init__("group_not_found")


def _name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise TicketError("group_name_required", "name")
    if len(name) > MAX_NAME:
        raise TicketError("group_name_too_long", "name")
    return name


async def all_groups() -> list[dict]:
    """Every group by name, with its agents and supervisors by name."""
    groups = await StaffGroup.select(StaffGroup.id, StaffGroup.name).order_by(StaffGroup.name)
    rows = await GroupMember.select(
        GroupMember.staff_group,
        GroupMember.supervises,
        GroupMember.member.id.as_alias("user_id"),
        GroupMember.member.name.as_alias("name"),
        GroupMember.member.email.as_alias("email"),
    ).order_by(GroupMember.member.name)
    for group in groups:
        mine = [row for row in rows if row["staff_group"] == group["id"]]
        group["agents"] = [row for row in mine if not row["supervises"]]
        group["supervisors"] = [row for row in mine if row["supervises"]]
    return groups


async def get_group(group_id: int) -> StaffGroup:
    group = await StaffGroup.objects().where(StaffGroup.id == group_id).first()
    if group is None:
        raise GroupNotFound()
    return group


async def create_group(name: str) -> StaffGroup:
    name = _name(name)
    try:
        async with write_transaction():
            if await StaffGroup.exists().where(StaffGroup.name == name):
                raise TicketError("group_name_taken", "name")
            group = StaffGroup(name=name)
            await group.save()
    except Exception as exc:
        if is_unique_violation(exc):  # another admin made it a moment ago
            raise TicketError("group_name_taken", "name") from None
        raise
    return group


async def add_member(group_id: int, user_id: int, supervises: bool) -> None:
    """An agent (or any staff member) joins the group's pool; a supervisor or admin is attached to oversee it.
    Adding someone already there changes how they belong."""
    group = await get_group(group_id)
    person = await User.objects().where((User.id == user_id) & (User.is_active == True)).first()  # noqa: E712
    allowed = SUPERVISING if supervises else (Role.AGENT.value, *SUPERVISING)
    if person is None or person.role not in allowed:
        raise TicketError("group_supervisor_invalid" if supervises else "group_member_invalid", "member")
    key = f"{group.id}:{person.id}"
    async with write_transaction():
        updated = (
            await GroupMember.update({GroupMember.supervises: supervises})
            .where(GroupMember.key == key)
            .returning(GroupMember.id)
        )
        if not updated:
            await GroupMember.insert(
                GroupMember(key=key, staff_group=group.id, member=person.id, supervises=supervises)
            ).on_conflict(action="DO NOTHING")


async def remove_member(group_id: int, user_id: int) -> None:
    async with write_transaction():
        await GroupMember.delete().where(GroupMember.key == f"{group_id}:{user_id}")


async def route_type(type_id: int, group_id: int | None) -> None:
    """New tickets of the type land in the group's pool (None: in the general queue)."""
    if group_id is not None:
        await get_group(group_id)
    async with write_transaction():
        await TicketType.update({TicketType.staff_group: group_id}).where(TicketType.id == type_id)
    types.forget()


async def groups_of(user_id: int) -> list[int]:
    """The groups whose pool the user works (not those they only oversee)."""
    rows = await GroupMember.select(GroupMember.staff_group).where(
        (GroupMember.member == user_id) & (GroupMember.supervises == False)  # noqa: E712
    )
    return [row["staff_group"] for row in rows]


@dataclass(frozen=True, slots=True)
class EscalationScope:
    """Whose escalations a staff member sees: tickets of these groups and those of no group (`groups`
    None: every group), and always the tickets assigned to them."""

    user_id: int
    groups: frozenset[int] | None

    def shows(self, staff_group: int | None, assignee: int | None) -> bool:
        return self.groups is None or staff_group is None or staff_group in self.groups or assignee == self.user_id


async def escalation_scope(user: User) -> EscalationScope:
    """A supervisor (or admin) sees the groups they are attached to, or all when attached to none; an
    agent sees the groups whose pool they work, never other groups'."""
    supervising = user.role in SUPERVISING
    rows = await GroupMember.select(GroupMember.staff_group).where(
        (GroupMember.member == user.id) & (GroupMember.supervises == supervising)
    )
    groups = frozenset(row["staff_group"] for row in rows)
    return EscalationScope(user.id, None if supervising and not groups else groups)


@dataclass(slots=True)
class Audience:
    """Who hears of a ticket: by its group, else everyone in the role."""

    agents: list[dict]
    supervisors: list[dict]
    group_agents: dict[int, list[dict]]
    group_supervisors: dict[int, list[dict]]

    def agents_of(self, group: int | None) -> list[dict]:
        return (self.group_agents.get(group) or self.agents) if group else self.agents

    def supervisors_of(self, group: int | None) -> list[dict]:
        return (self.group_supervisors.get(group) or self.supervisors) if group else self.supervisors


async def audience(staff: list[dict], groups: set[int]) -> Audience:
    """From the active staff (rows with id and role), who hears of the tickets of these groups."""
    supervisors = [r for r in staff if r["role"] == Role.SUPERVISOR] or [r for r in staff if r["role"] == Role.ADMIN]
    agents = [r for r in staff if r["role"] == Role.AGENT] or supervisors
    by_id = {r["id"]: r for r in staff}
    group_agents: dict[int, list[dict]] = {}
    group_supervisors: dict[int, list[dict]] = {}
    if groups:
        rows = await GroupMember.select(GroupMember.staff_group, GroupMember.member, GroupMember.supervises).where(
            GroupMember.staff_group.is_in(sorted(groups)) | (GroupMember.supervises == True)  # noqa: E712
        )
        attached = {r["member"] for r in rows if r["supervises"]}
        # Supervisors attached to no group oversee every group.
        overseers = [r for r in supervisors if r["id"] not in attached]
        for group in groups:
            mine = [r for r in rows if r["staff_group"] == group and r["member"] in by_id]
            group_agents[group] = [by_id[r["member"]] for r in mine if not r["supervises"]]
            own = [by_id[r["member"]] for r in mine if r["supervises"]]
            group_supervisors[group] = own + [r for r in overseers if r not in own]
    return Audience(agents, supervisors, group_agents, group_supervisors)
