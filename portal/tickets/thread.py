"""A ticket's messages and timeline events as one viewer may read them (visibility.sees_internal decides
which), in plain SQL: every ticket page and API read runs these, and building the joins with Piccolo
cost more than running them."""

from __future__ import annotations

from dataclasses import dataclass

from auth.tables import User
from portal.tickets import visibility
from portal.tickets.tables import Event, Message

# The last parameter of each is visibility.sees_internal(viewer).
_MESSAGES = (
    "SELECT m.id, m.author AS author_id, u.name AS author, u.role AS role, m.body, m.body_html, m.internal, "
    "m.created_at FROM ticket_message m LEFT JOIN portal_user u ON u.id = m.author "
    "WHERE m.ticket = {} AND (NOT m.internal OR {}) ORDER BY m.created_at, m.id"
)
_EVENTS = (
    "SELECT e.kind, e.old, e.new, e.public, e.created_at, e.actor AS actor_id, u.name AS actor "
    "FROM ticket_event e LEFT JOIN portal_user u ON u.id = e.actor "
    "WHERE e.ticket = {} AND (e.public OR {}) ORDER BY e.created_at, e.id"
)


@dataclass(frozen=True, slots=True)
class Thread:
    messages: list[dict]  # id, author_id, author (name), staff, body, body_html, internal, created_at
    events: list[dict]  # kind, old, new, public, created_at, actor_id, actor (name)


async def read(viewer: User | None, ticket_id: int) -> Thread:
    """Oldest first. No viewer: what the ticket's customer reads."""
    internal = visibility.sees_internal(viewer)
    messages = [dict(row) for row in await Message.raw(_MESSAGES, ticket_id, internal)]
    events = [dict(row) for row in await Event.raw(_EVENTS, ticket_id, internal)]
    for row in messages:
        row["staff"] = row.pop("role") in visibility.STAFF
        row["internal"] = bool(row["internal"])
    for row in events:
        row["public"] = bool(row["public"])
    return Thread(messages, events)
