"""One ticket as its customer sees it: the public timeline (never internal notes, never private
events), what they may do next, and rating a resolution from the page or from the emailed link."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from auth.tables import User
from portal.settings import Settings
from portal.tickets import attachments, merging, ratings, rendering, thread, visibility
from portal.tickets.conversation import REOPEN_WITHIN
from portal.tickets.errors import TicketError
from portal.tickets.self_service import localized, type_names
from portal.tickets.tables import CustomField, Rating, Ticket
from portal.tickets.workflow import Status


@dataclass(frozen=True, slots=True)
class Entry:
    """A line of the timeline: a message, or an event (a status change, a rating…)."""

    kind: str  # "message", or the event's kind
    at: datetime
    who: str = ""
    staff: bool = False
    html: str = ""  # a message's Markdown, rendered by the one safe renderer
    old: str = ""
    new: str = ""
    files: tuple[dict, ...] = ()


@dataclass(frozen=True, slots=True)
class TicketPage:
    ticket: Ticket
    number: int
    type_name: str
    fields: list[tuple[str, str]]
    description_html: str
    description_files: tuple[dict, ...]
    timeline: list[Entry]
    replies: str  # "open"; "expired": resolved too long ago, file a new one; "closed"
    can_close: bool
    rating_open: bool  # resolved or closed, and this resolution not rated yet
    rating: Rating | None  # the rating of the latest resolution, once given
    merged_into: int | None = None  # the number of the ticket this one was merged into
    merged_visible: bool = False  # whether the viewer may open that ticket


def replies_state(ticket: Ticket, now: datetime | None = None) -> str:
    status = Status(ticket.status)
    if status == Status.CLOSED:
        return "closed"
    now = now or datetime.now(UTC)
    if status == Status.RESOLVED and ticket.resolved_at and now - ticket.resolved_at > REOPEN_WITHIN:
        return "expired"
    return "open"


def _answers(ticket: Ticket) -> dict[str, str]:
    value = ticket.custom_fields
    return json.loads(value) if isinstance(value, str) else dict(value or {})


async def _fields(ticket: Ticket, locale: str) -> list[tuple[str, str]]:
    answers = _answers(ticket)
    labels = {
        row["key"]: localized(row, "label", locale)
        for row in await CustomField.select(CustomField.key, CustomField.label_en, CustomField.label_ru)
        .where(CustomField.ticket_type.slug == ticket.type)
        .order_by(CustomField.position)
    }
    ordered = [key for key in labels if key in answers] + [key for key in answers if key not in labels]
    return [(labels.get(key, key), str(answers[key])) for key in ordered]


async def ticket_page(viewer: User, number: int, locale: str) -> TicketPage:
    """The page of a ticket the viewer may see; TicketNotFound otherwise (other people's look absent)."""
    ticket = await visibility.get_for(viewer, number)
    said = await thread.read(None, ticket.id)  # the customer's view, for staff on this page too
    messages, events = said.messages, [e for e in said.events if e["kind"] != "created"]
    files = await attachments.public_of(ticket.id)
    html = [await rendering.description_html(ticket), *await rendering.messages_html(messages)]
    timeline = [
        Entry(
            "message",
            m["created_at"],
            m["author"] or "",
            m["staff"],
            html=body,
            files=tuple(f for f in files if f["message"] == m["id"]),
        )
        for m, body in zip(messages, html[1:], strict=True)
    ]
    timeline += [Entry(e["kind"], e["created_at"], e["actor"] or "", old=e["old"], new=e["new"]) for e in events]
    timeline.sort(key=lambda entry: entry.at)
    rating = await ratings.existing(ticket.id, ticket.resolutions) if ticket.resolutions else None
    done = Status(ticket.status) in (Status.RESOLVED, Status.CLOSED)
    merged_into, merged_visible = await merging.survivor_of(ticket, viewer)
    return TicketPage(
        ticket=ticket,
        number=number,
        type_name=(await type_names(locale)).get(ticket.type, ticket.type),
        fields=await _fields(ticket, locale),
        description_html=html[0],
        description_files=tuple(f for f in files if f["message"] is None),
        timeline=timeline,
        replies=replies_state(ticket),
        can_close=Status(ticket.status) != Status.CLOSED,
        rating_open=done and ticket.resolutions > 0 and rating is None and ratings.may_rate(viewer, ticket),
        rating=rating,
        merged_into=merged_into,
        merged_visible=merged_visible,
    )


def score_of(text: str) -> int:
    """The radio button's value; anything else is 0, which ratings refuse as score_invalid."""
    return int(text) if text.strip().isdigit() and len(text.strip()) == 1 else 0


async def rate_on_page(viewer: User, ticket: Ticket, score: str, comment: str) -> Rating:
    """The requester rates the latest resolution; staff may see the page but not rate their own work."""
    return await ratings.rate_latest(viewer, ticket, score_of(score), comment)


@dataclass(frozen=True, slots=True)
class RatingRequest:
    ticket: Ticket
    number: int
    resolution: int
    rating: Rating | None  # already given


async def rating_request(settings: Settings, token: str) -> RatingRequest:
    """What an emailed rating link asks about; TicketError("rating_link_invalid") for a forged or expired one."""
    link = ratings.read_token(settings.secret_key, token)
    ticket = await Ticket.objects().where(Ticket.id == link.ticket_id).first()
    if ticket is None:
        raise TicketError("rating_link_invalid")
    rating = await ratings.existing(ticket.id, link.resolution)
    return RatingRequest(ticket, visibility.number_of(ticket.id), link.resolution, rating)


async def rate_by_link(settings: Settings, token: str, score: str, comment: str) -> RatingRequest:
    request = await rating_request(settings, token)
    await ratings.rate(request.ticket, request.resolution, score_of(score), comment)
    return request
