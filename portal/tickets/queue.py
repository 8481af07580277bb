"""What the staff ticket page reads: one ticket with its whole timeline, its facts and deadline states."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from auth.tables import Organization, Role, User
from portal.i18n import current_locale
from portal.sla import levels
from portal.tickets import rendering
from portal.tickets.tables import Attachment, CustomField, Event, Message, Ticket, TicketType
from portal.tickets.visibility import STAFF, number_of
from portal.tickets.workflow import ACTIVE, TRANSITIONS, Status

DUE_SOON = timedelta(hours=1)


def deadline_state(
    due: datetime | None, done: datetime | None, active: bool, paused: datetime | None, now: datetime
) -> str:
    """met / missed once done; overdue / soon / running / paused while it runs; none without a deadline."""
    if due is None:
        return "none"
    if done is not None:
        return "met" if done <= due else "missed"
    if not active:
        return "none"
    # While the customer is asked for something the clock stands still at the moment it paused.
    moment = paused or now
    if due < moment:
        return "overdue"
    if paused is not None:
        return "paused"
    return "soon" if due - now <= DUE_SOON else "running"


async def type_names() -> dict[str, dict]:
    """Every type by slug, retired ones too: old tickets still name them."""
    return {row["slug"]: row for row in await TicketType.select().order_by(TicketType.position)}


@dataclass(slots=True)
class Entry:
    """One line of the timeline: a message (public or internal) or an event."""

    at: datetime
    kind: str  # "message", "note" or "event"
    author: dict | None = None
    html: str = ""
    event: dict | None = None
    files: list[dict] = field(default_factory=list)


def _answers(ticket: Ticket) -> dict[str, str]:
    answers = ticket.custom_fields
    return json.loads(answers) if isinstance(answers, str) else dict(answers or {})


async def _custom_fields(ticket: Ticket) -> list[tuple[str, str]]:
    """The answers labelled in the reader's language (a retired field's label still applies; a field
    since deleted shows its key)."""
    field = "label_ru" if current_locale() == "ru" else "label_en"
    query = CustomField.select(CustomField.key, getattr(CustomField, field)).where(
        CustomField.ticket_type.slug == ticket.type
    )
    labels = {row["key"]: row[field] for row in await query}
    return [(labels.get(key, key), value) for key, value in _answers(ticket).items()]


async def _people(ids: set[int]) -> dict[int, dict]:
    if not ids:
        return {}
    rows = await User.select(User.id, User.name, User.email, User.role).where(User.id.is_in(list(ids)))
    return {row["id"]: {**row, "staff": Role(row["role"]) in STAFF} for row in rows}


def _user_ids(messages: list[dict], events: list[dict]) -> set[int]:
    ids = {m["author"] for m in messages} | {e["actor"] for e in events}
    ids |= {int(v) for e in events if e["kind"] == "assigned" for v in (e["old"], e["new"]) if v.isdigit()}
    return {i for i in ids if i}


def _event(event: dict, people: dict[int, dict]) -> dict:
    """The event with the names of the people an assignment moved the ticket between."""
    ids = {k: event[k] for k in ("old", "new")} if event["kind"] == "assigned" else {}
    names = {k: people[int(v)]["name"] for k, v in ids.items() if v.isdigit() and int(v) in people}
    return {**event, "names": names}


async def timeline(ticket: Ticket) -> tuple[list[Entry], list[dict]]:
    """Everything that happened, oldest first, internal notes and staff-only events included; and the
    files sent with the description itself."""
    messages = (
        await Message.select().where(Message.ticket == ticket.id).order_by(Message.created_at).order_by(Message.id)
    )
    events = await Event.select().where(Event.ticket == ticket.id).order_by(Event.created_at).order_by(Event.id)
    files = await Attachment.select().where(Attachment.ticket == ticket.id).order_by(Attachment.id)
    people = await _people(_user_ids(messages, events))
    htmls = await rendering.messages_html(messages)
    by_message: dict[int | None, list[dict]] = {}
    for row in files:
        by_message.setdefault(row["message"], []).append(row)
    entries = [
        Entry(
            m["created_at"],
            "note" if m["internal"] else "message",
            people.get(m["author"]),
            html=html,
            files=by_message.get(m["id"], []),
        )
        for m, html in zip(messages, htmls, strict=True)
    ]
    entries += [Entry(e["created_at"], "event", people.get(e["actor"]), event=_event(e, people)) for e in events]
    # Messages before events written in the same instant: a reply that also moves the status reads in that order.
    entries.sort(key=lambda entry: (entry.at, entry.kind == "event"))
    return entries, by_message.get(None, [])


async def ticket_facts(ticket: Ticket, now: datetime) -> dict[str, object]:
    """What the ticket page shows besides the timeline: the people, the plan, the fields, the deadlines."""
    requester = ticket.requester
    organization = None
    if ticket.organization:
        organization = (
            await Organization.objects()
            .where(Organization.id == getattr(ticket.organization, "id", ticket.organization))
            .first()
        )
    status = Status(ticket.status)
    active = status in ACTIVE
    description = await rendering.description_html(ticket)
    return {
        "number": number_of(ticket.id),
        "merged_into": number_of(ticket.merged_into) if ticket.merged_into else None,
        "requester": requester,
        "assignee": ticket.assignee if getattr(ticket.assignee, "id", None) else None,
        "organization": organization,
        "plan_name": await levels.plan_name(organization.support_plan if organization else levels.FALLBACK_PLAN),
        "type_row": (await type_names()).get(ticket.type),
        "fields": await _custom_fields(ticket),
        "description_html": description,
        "first_response": deadline_state(ticket.first_response_due, ticket.first_responded_at, active, None, now),
        "resolution": deadline_state(
            ticket.resolution_due, ticket.resolved_at if not active else None, active, ticket.paused_at, now
        ),
        "targets": [s.value for s in Status if s in TRANSITIONS[status]],
        "reply_then": [s for s in ("pending", "resolved") if Status(s) in TRANSITIONS[status]],
    }
