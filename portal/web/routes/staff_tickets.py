"""Tickets for staff: the whole ticket, replies and notes, status and assignment."""

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from auth.tables import User
from portal.insights import overview
from portal.settings import Settings
from portal.sla.policy import RANK
from portal.tickets import assignment, conversation, priority, visibility
from portal.tickets.errors import TicketError, TicketNotFound
from portal.tickets.queue import ticket_facts, timeline
from portal.tickets.tables import Ticket
from portal.tickets.workflow import InvalidTransition, Status
from portal.web.guards import STAFF
from portal.web.routes import staff_tickets_admin

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
THEN = {"keep": None, "pending": Status.PENDING.value, "resolved": Status.RESOLVED.value}
# The reply's own field is "body"; these codes name it as a reply, not as an article's text.


class ReplyForm(msgspec.Struct):
    body: str = ""
    visibility: str = "public"  # "public" or "internal"
    then: str = "keep"


class StatusForm(msgspec.Struct):
    target: str = ""


class AssignForm(msgspec.Struct):
    agent: str = ""  # an agent's id, or "none" to give the ticket back to the queue


class PriorityForm(msgspec.Struct):
    priority: str = ""


async def load(viewer: User, number: int) -> Ticket:
    try:
        return await visibility.get_for(viewer, number)
    except TicketNotFound:
        raise NotFoundException() from None


async def page(ticket: Ticket, *, status: int = 200, error: str | None = None, **context: object) -> Template:
    """The ticket page; after a refused change it gets a freshly read ticket, as a failed move may have
    changed the object in memory before its transaction was rolled back."""
    entries, description_files = await timeline(ticket)
    return Template(
        template_name="staff/ticket.html",
        status_code=status,
        context={
            "ticket": ticket,
            "entries": entries,
            "description_files": description_files,
            "agents": await assignment.assignable_agents(),
            "error": error,
            "reply": ReplyForm(),
            "priorities": list(RANK),
            **await ticket_facts(ticket, datetime.now(UTC)),
            "recurring": await overview.for_ticket(ticket.id),
            **context,
        },
    )


@get("/staff/tickets/{number:int}", opt=STAFF)
async def ticket_page(
    number: FromPath[int], viewer: NamedDependency[User], done: FromQuery[str | None] = None
) -> Template:
    return await page(await load(viewer, number), done=done)


@post("/staff/tickets/{number:int}/messages", opt=STAFF)
async def add_message(
    number: FromPath[int],
    data: Annotated[ReplyForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    ticket = await load(viewer, number)
    internal = data.visibility == "internal"
    try:
        if data.then not in THEN:
            raise TicketError("ticket_transition_invalid", "then")
        await conversation.reply(settings, viewer, ticket, data.body, internal=internal, then=THEN[data.then])
    except InvalidTransition:
        return await page(await load(viewer, number), status=400, error="ticket_transition_invalid", reply=data)
    except TicketError as exc:
        return await page(await load(viewer, number), status=400, error=exc.code, reply=data)
    done = "ticket_note_added" if internal else "ticket_replied"
    return Redirect(path=f"/staff/tickets/{number}?done={done}")


@post("/staff/tickets/{number:int}/status", opt=STAFF)
async def change_status(
    number: FromPath[int],
    data: Annotated[StatusForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    ticket = await load(viewer, number)
    try:
        await conversation.change_status(settings, viewer, ticket, Status(data.target))
    except ValueError:  # a status that does not exist, or InvalidTransition (a ValueError too)
        return await page(await load(viewer, number), status=400, error="ticket_transition_invalid")
    return Redirect(path=f"/staff/tickets/{number}?done=ticket_status_changed")


@post("/staff/tickets/{number:int}/assign", opt=STAFF)
async def assign(
    number: FromPath[int],
    data: Annotated[AssignForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    ticket = await load(viewer, number)
    try:
        if data.agent == "none":
            await assignment.unassign(viewer, ticket)
        else:
            await assignment.assign(settings, viewer, ticket, int(data.agent) if data.agent.isdigit() else 0)
    except TicketError as exc:
        return await page(await load(viewer, number), status=400, error=exc.code)
    return Redirect(path=f"/staff/tickets/{number}?done=ticket_assigned")


@post("/staff/tickets/{number:int}/priority", opt=STAFF)
async def change_priority(
    number: FromPath[int],
    data: Annotated[PriorityForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    ticket = await load(viewer, number)
    try:
        await priority.change_priority(settings, viewer, ticket, data.priority)
    except TicketError as exc:
        return await page(await load(viewer, number), status=400, error=exc.code)
    return Redirect(path=f"/staff/tickets/{number}?done=ticket_priority_changed")


ROUTES = [
    ticket_page,
    add_message,
    change_status,
    assign,
    change_priority,
    *staff_tickets_admin.ROUTES,
]
