"""The supervisors' escalations view: the list, and acknowledging, reassigning and reprioritising from it."""

from typing import Annotated

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from auth.tables import User
from portal.settings import Settings
from portal.sla import oversight
from portal.sla.policy import RANK
from portal.tickets import assignment, priority
from portal.tickets.errors import TicketError
from portal.web.guards import SUPERVISOR
from portal.web.routes.staff_tickets import FORM, AssignForm, PriorityForm, load

HERE = "/staff/escalations"


async def _page(viewer: User, status: int = 200, **context: object) -> Template:
    return Template(
        template_name="staff/escalations.html",
        status_code=status,
        context={
            "rows": await oversight.escalated(viewer),
            "agents": await assignment.assignable_agents(),
            "priorities": list(RANK),
            **context,
        },
    )


@get(HERE, opt=SUPERVISOR)
async def escalations(viewer: NamedDependency[User], done: FromQuery[str | None] = None) -> Template:
    return await _page(viewer, done=done)


@post(HERE + "/{number:int}/acknowledge", opt=SUPERVISOR)
async def acknowledge(number: FromPath[int], viewer: NamedDependency[User]) -> Response:
    await oversight.acknowledge(viewer, await load(viewer, number))
    return Redirect(path=f"{HERE}?done=escalation_acknowledged")


@post(HERE + "/{number:int}/assign", opt=SUPERVISOR)
async def reassign(
    number: FromPath[int],
    data: Annotated[AssignForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    ticket = await load(viewer, number)
    await oversight.oversees(viewer, ticket)
    try:
        await assignment.assign(settings, viewer, ticket, int(data.agent) if data.agent.isdigit() else 0)
    except TicketError as exc:
        return await _page(viewer, status=400, error=exc.code)
    return Redirect(path=f"{HERE}?done=ticket_assigned")


@post(HERE + "/{number:int}/priority", opt=SUPERVISOR)
async def change_priority(
    number: FromPath[int],
    data: Annotated[PriorityForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    ticket = await load(viewer, number)
    await oversight.oversees(viewer, ticket)
    try:
        await priority.change_priority(settings, viewer, ticket, data.priority)
    except TicketError as exc:
        return await _page(viewer, status=400, error=exc.code)
    return Redirect(path=f"{HERE}?done=ticket_priority_changed")


ROUTES = [escalations, acknowledge, reassign, change_priority]
