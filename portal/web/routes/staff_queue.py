"""The staff queues: the views with their counts, sorted and filtered, the agent's saved choice, bulk
actions on the selected tickets, and merging a duplicate from its page."""

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from auth.tables import User
from portal.settings import Settings
from portal.sla.oversight import supervises
from portal.sla.policy import RANK
from portal.tickets import assignment, bulk, merging, queue_choice, queue_views, visibility
from portal.tickets.errors import TicketError
from portal.tickets.filing import CHANNELS
from portal.tickets.queue import type_names
from portal.tickets.workflow import Status
from portal.web.guards import STAFF
from portal.web.routes import fresh
from portal.web.routes.staff_tickets import FORM, load, page

QUEUE = "/staff/tickets"


class BulkForm(msgspec.Struct):
    action: str = ""
    tickets: list[str] | str = msgspec.field(default_factory=list)
    agent: str = ""
    status: str = ""
    priority: str = ""
    into: str = ""


class MergeForm(msgspec.Struct):
    into: str = ""


def _number(text: str) -> int:
    text = text.strip().removeprefix("#")
    return int(text) if text.isdigit() and len(text) < 12 else 0


async def _queue(viewer: User, choice: queue_views.Choice, *, status: int = 200, **context: object) -> Template:
    found = await queue_views.listing(viewer, choice, datetime.now(UTC))
    return Template(
        template_name="staff/tickets.html",
        status_code=status,
        context={
            "rows": [] if context.get("error") else found.rows,
            "more": found.more,
            "counts": found.counts,
            "choice": choice,
            "views": queue_views.VIEWS,
            "sorts": queue_views.SORTS,
            "types": await type_names(),
            "statuses": queue_views.STATUSES,
            "priorities": list(RANK),
            "channels": CHANNELS,
            "organizations": await queue_views.organizations(),
            "groups": await queue_views.group_choices(viewer),
            "agents": await assignment.assignable_agents(),
            "targets": [s.value for s in Status],
            "supervisor": supervises(viewer),
            **context,
        },
    )


@get(QUEUE, opt={**STAFF, **fresh.QUEUE})
async def queue(request: Request, viewer: NamedDependency[User]) -> Template:
    """The chosen view; opened bare, the agent's last choice."""
    try:
        choice = await queue_choice.current(viewer, dict(request.query_params))
    except TicketError as exc:
        return await _queue(viewer, queue_views.DEFAULT, status=400, error=exc.code, error_field=exc.field)
    return await _queue(viewer, choice)


@post(QUEUE + "/bulk", opt=STAFF)
async def bulk_action(
    data: Annotated[BulkForm, FORM], viewer: NamedDependency[User], settings: NamedDependency[Settings]
) -> Template:
    """Apply one action to the selected tickets and show the queue with what was done and refused."""
    choice = await queue_choice.current(viewer, {})
    try:
        wanted = bulk.Bulk(
            action=data.action,
            tickets=bulk.numbers_of(data.tickets),
            agent=_number(data.agent),
            status=data.status,
            priority=data.priority,
            into=_number(data.into),
        )
        outcome = await bulk.apply(settings, viewer, wanted)
    except TicketError as exc:
        return await _queue(viewer, choice, status=400, error=exc.code, error_field=exc.field)
    return await _queue(viewer, choice, status=200, outcome=outcome)


@post(QUEUE + "/{number:int}/merge", opt=STAFF)
async def merge(
    number: FromPath[int],
    data: Annotated[MergeForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    ticket = await load(viewer, number)
    try:
        survivor = await merging.merge(settings, viewer, ticket, _number(data.into))
    except TicketError as exc:
        return await page(await load(viewer, number), viewer=viewer, status=400, error=exc.code)
    return Redirect(path=f"{QUEUE}/{visibility.number_of(survivor.id)}?done=ticket_merged")


ROUTES = [queue, bulk_action, merge]
