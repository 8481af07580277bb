"""Tickets as JSON for integrations: file, list, read, reply and rate, signed in by an API token only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import get, patch, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath, FromQuery, HeaderParameter, QueryParameter

from auth.tables import User
from portal.channels import for_customer
from portal.settings import Settings
from portal.tickets import api_view, changes, conversation, merging, queue_views, ratings, thread, visibility
from portal.tickets.errors import TicketError
from portal.tickets.filing import NewTicket
from portal.tickets.mail import ticket_link
from portal.web.api_auth import SECURITY, TOKEN_ONLY
from portal.web.guards import Access
from portal.web.routes import fresh

PER_PAGE = 50
MAX_KEY = 120  # filing keeps 120 characters of a key: longer ones could collide unseen
API = {"opt": TOKEN_ONLY, "security": SECURITY, "include_in_schema": True, "tags": ["tickets"]}
# Staff-only API routes: to a customer's token they do not exist (404).
STAFF_API = {**API, "opt": {**TOKEN_ONLY, "access": Access.STAFF}}


class TicketIn(msgspec.Struct):
    type: str
    subject: str
    description: str
    priority: str = "normal"
    custom_fields: dict[str, str] = msgspec.field(default_factory=dict)
    requester: str | None = None  # staff only: the customer's email
    channel: str | None = None  # staff only: phone, email, chat or staff


class ChangesIn(msgspec.Struct):
    """Staff only; a member left out stays as it is, "assignee": null gives the ticket back to the queue."""

    status: str | msgspec.UnsetType = msgspec.UNSET
    assignee: str | msgspec.UnsetType | None = msgspec.UNSET
    priority: str | msgspec.UnsetType = msgspec.UNSET
    type: str | msgspec.UnsetType = msgspec.UNSET


class MessageIn(msgspec.Struct):
    body: str
    internal: bool = False


class RatingIn(msgspec.Struct):
    score: int
    comment: str = ""


class Filed(msgspec.Struct):
    number: int
    status: str
    subject: str
    first_response_due: datetime | None
    resolution_due: datetime | None
    url: str


class Summary(msgspec.Struct):
    number: int
    status: str
    type: str
    priority: str
    subject: str
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    url: str


class Page(msgspec.Struct):
    tickets: list[Summary]
    page: int
    per_page: int
    has_more: bool


class QueueItem(Summary):
    assignee: str | None
    reaction: str  # "breached", "nearly" (80 % of the time gone) or ""
    resolution: str
    escalated: bool


class QueuePage(msgspec.Struct):
    """A staff queue: one page of the view, and how many open tickets each view holds."""

    view: str
    tickets: list[QueueItem]
    page: int
    per_page: int
    has_more: bool
    counts: dict[str, int]


class MergeIn(msgspec.Struct):
    into: int


class MessageOut(msgspec.Struct):
    id: int
    author: str | None
    staff: bool
    body: str
    internal: bool
    created_at: datetime


class EventOut(msgspec.Struct):
    kind: str
    old: str
    new: str
    public: bool
    created_at: datetime


class Detail(msgspec.Struct):
    number: int
    status: str
    type: str
    priority: str
    channel: str
    subject: str
    description: str
    custom_fields: dict[str, Any]
    requester: str
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolutions: int
    url: str
    messages: list[MessageOut]
    events: list[EventOut]


class Posted(msgspec.Struct):
    id: int
    ticket: int
    status: str
    body: str
    internal: bool
    created_at: datetime


class Rated(msgspec.Struct):
    ticket: int
    resolution: int
    score: int
    comment: str


def _key(raw: str | None) -> str:
    key = (raw or "").strip()
    if len(key) > MAX_KEY or not key.isprintable():
        raise TicketError("idempotency_key_invalid", "Idempotency-Key")
    return key


def _summary(settings: Settings, row: dict) -> Summary:
    ticket_id = row.pop("id")
    return Summary(number=visibility.number_of(ticket_id), url=ticket_link(settings, ticket_id), **row)


@post("/api/tickets", status_code=201, **API)
async def file_ticket(
    data: Annotated[TicketIn, Body()],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
    idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)] = None,
) -> Filed:
    """File a ticket; a retry with the same Idempotency-Key answers with the ticket already made. Staff
    file for a customer with "requester" (their email) and "channel"."""
    draft = NewTicket(
        type=data.type,
        subject=data.subject,
        description=data.description,
        priority=data.priority,
        custom_fields=data.custom_fields,
        channel="api",
        idempotency_key=_key(idempotency_key),
    )
    ticket = await for_customer.file_by_email(settings, viewer, data.requester, data.channel, draft)
    return Filed(
        number=visibility.number_of(ticket.id),
        status=ticket.status,
        subject=ticket.subject,
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
        url=ticket_link(settings, ticket.id),
    )


@get("/api/tickets", **API)
async def list_tickets(
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
    status: FromQuery[str] = "",
    page: FromQuery[int] = 1,
    view: Annotated[str, QueryParameter(description="staff: " + "|".join(queue_views.VIEWS))] = "",
    sort: Annotated[str, QueryParameter(description="with view: " + "|".join(queue_views.SORTS))] = "",
    order: Annotated[str, QueryParameter(description="with view: asc|desc")] = "",
    type_: Annotated[str, QueryParameter(name="type", description="with view: a type's slug")] = "",
    priority: FromQuery[str] = "",
    organization: FromQuery[str] = "",
    channel: FromQuery[str] = "",
    assignee: Annotated[str, QueryParameter(description="with view: an agent's id, or none")] = "",
    group: FromQuery[str] = "",
    q: FromQuery[str] = "",
) -> Page | QueuePage:
    """The tickets the caller may see, newest first, 50 a page. Staff name a queue with "view" (then
    sort, order and the filters apply, and the answer carries every view's count); customers get 404
    for a view."""
    if not view:
        found = await api_view.listing(viewer, status, page, PER_PAGE)
        tickets = [_summary(settings, row) for row in found.rows]
        return Page(tickets=tickets, page=found.page, per_page=PER_PAGE, has_more=found.has_more)
    asked = {"view": view, "sort": sort, "order": order, "status": status, "type": type_, "priority": priority}
    asked |= {"organization": organization, "channel": channel, "assignee": assignee, "group": group, "q": q}
    choice, listing = await api_view.queue(viewer, {**asked, "page": str(page)}, datetime.now(UTC))
    return QueuePage(
        view=choice.view,
        tickets=[_queue_item(settings, row) for row in listing.rows],
        page=choice.page,
        per_page=queue_views.PER_PAGE,
        has_more=listing.more,
        counts=listing.counts,
    )


def _queue_item(settings: Settings, row: dict) -> QueueItem:
    fields = {name: row[name] for name in Summary.__struct_fields__ if name in row and name != "number"}
    return QueueItem(
        **fields,
        number=row["number"],
        url=ticket_link(settings, row["id"]),
        assignee=row["assignee_name"],
        reaction=row["reaction"],
        resolution=row["resolution"],
        escalated=row["escalated_at"] is not None,
    )


@get("/api/tickets/{number:int}", **{**API, "opt": {**TOKEN_ONLY, **fresh.TICKET}})
async def read_ticket(
    viewer: NamedDependency[User], settings: NamedDependency[Settings], number: FromPath[int]
) -> Detail:
    """The ticket with its conversation and timeline; internal notes and events for staff only."""
    return await _detail(viewer, settings, number)


async def _detail(viewer: User, settings: Settings, number: int) -> Detail:
    ticket = await visibility.get_for(viewer, number)
    said = await thread.read(viewer, ticket.id)
    fields = ticket.custom_fields
    return Detail(
        number=number,
        status=ticket.status,
        type=ticket.type,
        priority=ticket.priority,
        channel=ticket.channel,
        subject=ticket.subject,
        description=ticket.description,
        custom_fields=json.loads(fields) if isinstance(fields, str) else fields or {},
        requester=ticket.requester.name,
        assignee=ticket.assignee.name if ticket.assignee and ticket.assignee.id else None,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        resolutions=ticket.resolutions,
        url=ticket_link(settings, ticket.id),
        messages=[
            MessageOut(m["id"], m["author"], m["staff"], m["body"], m["internal"], m["created_at"])
            for m in said.messages
        ],
        events=[EventOut(e["kind"], e["old"], e["new"], e["public"], e["created_at"]) for e in said.events],
    )


@patch("/api/tickets/{number:int}", **API)
async def change_ticket(
    data: Annotated[ChangesIn, Body()],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
    number: FromPath[int],
) -> Detail:
    """Staff change the status, assignee (an email, or null), priority or type; all or none."""
    ticket = await visibility.get_for(viewer, number)
    wanted = {name: getattr(data, name) for name in ChangesIn.__struct_fields__}
    kept = {name: value for name, value in wanted.items() if value is not msgspec.UNSET}
    await changes.apply(settings, viewer, ticket, changes.Changes(**kept))
    return await _detail(viewer, settings, number)


@post("/api/tickets/{number:int}/messages", status_code=201, **API)
async def post_message(
    data: Annotated[MessageIn, Body()],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
    number: FromPath[int],
) -> Posted:
    """Reply on the ticket; staff may write an internal note with "internal": true."""
    ticket = await visibility.get_for(viewer, number)
    message = await conversation.reply(settings, viewer, ticket, data.body, internal=data.internal)
    return Posted(
        id=message.id,
        ticket=number,
        status=ticket.status,
        body=message.body,
        internal=message.internal,
        created_at=message.created_at,
    )


@post("/api/tickets/{number:int}/rating", status_code=201, **API)
async def rate_ticket(data: Annotated[RatingIn, Body()], viewer: NamedDependency[User], number: FromPath[int]) -> Rated:
    """Rate the ticket's latest resolution, once; only its requester may."""
    ticket = await visibility.get_for(viewer, number)
    rating = await ratings.rate_latest(viewer, ticket, data.score, data.comment)
    return Rated(ticket=number, resolution=rating.resolution, score=rating.score, comment=rating.comment)


@post("/api/tickets/{number:int}/merge", status_code=200, **STAFF_API)
async def merge_ticket(
    data: Annotated[MergeIn, Body()],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
    number: FromPath[int],
) -> Detail:
    """Staff merge this duplicate into ticket "into"; answers with the surviving ticket."""
    ticket = await visibility.get_for(viewer, number)
    survivor = await merging.merge(settings, viewer, ticket, data.into)
    return await _detail(viewer, settings, visibility.number_of(survivor.id))


ROUTES = [file_ticket, list_tickets, read_ticket, change_ticket, post_message, rate_ticket, merge_ticket]
