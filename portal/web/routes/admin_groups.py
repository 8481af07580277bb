"""Administration of staff groups: creating them, adding and removing agents and supervisors."""

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from portal.tickets import assignment, groups
from portal.tickets.errors import TicketError
from portal.web.guards import ADMIN
from portal.web.routes.staff_tickets import FORM


class GroupForm(msgspec.Struct):
    name: str = ""


class MemberForm(msgspec.Struct):
    member: str = ""
    supervises: str = ""  # "1": attached as a supervisor


async def _page(status: int = 200, **context: object) -> Template:
    return Template(
        template_name="admin/groups.html",
        status_code=status,
        context={"groups": await groups.all_groups(), "staff": await assignment.assignable_agents(), **context},
    )


@get("/admin/groups", opt=ADMIN)
async def groups_page(done: FromQuery[str | None] = None) -> Template:
    return await _page(done=done)


@post("/admin/groups", opt=ADMIN)
async def create_group(data: Annotated[GroupForm, FORM]) -> Response:
    try:
        await groups.create_group(data.name)
    except TicketError as exc:
        return await _page(status=400, error=exc.code, form=data)
    return Redirect(path="/admin/groups?done=group_created")


@post("/admin/groups/{group_id:int}/members", opt=ADMIN)
async def add_member(group_id: FromPath[int], data: Annotated[MemberForm, FORM]) -> Response:
    try:
        member = int(data.member) if data.member.isdigit() else 0
        await groups.add_member(group_id, member, data.supervises == "1")
    except groups.GroupNotFound:
        raise NotFoundException() from None
    except TicketError as exc:
        return await _page(status=400, error=exc.code, failed=group_id)
    return Redirect(path="/admin/groups?done=group_member_added")


@post("/admin/groups/{group_id:int}/members/{user_id:int}/remove", opt=ADMIN)
async def remove_member(group_id: FromPath[int], user_id: FromPath[int]) -> Response:
    await groups.remove_member(group_id, user_id)
    return Redirect(path="/admin/groups?done=group_member_removed")


ROUTES = [groups_page, create_group, add_member, remove_member]
