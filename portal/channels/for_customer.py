"""Tickets staff file for a customer (a phone call, a chat, a mail read aloud): finding the customer,
and filing in their name with the staff member recorded as the one who filed it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from auth.tables import Organization, Role, User
from portal.settings import Settings
from portal.tickets import uploads
from portal.tickets.attachments import Incoming
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Ticket
from portal.tickets.visibility import is_staff

# The ways a customer reaches staff, who then file what they were told.
STAFF_CHANNELS = ("phone", "email", "chat", "staff")
MAX_QUERY = 100
MAX_MATCHES = 20


def _customers():
    return (User.is_active == True) & (User.role == Role.CUSTOMER.value)  # noqa: E712


async def find_customers(query: str, limit: int = MAX_MATCHES) -> list[dict]:
    """Active customers whose name, email or organization's name contains the query, by name."""
    query = " ".join(query.split())[:MAX_QUERY]
    if not query:
        return []
    # A % or _ typed in the query matches as LIKE's wildcard: harmless in a staff member's search.
    pattern = f"%{query}%"
    columns = (User.name, User.email, User.organization.name)
    # Piccolo's ilike() is PostgreSQL-only; SQLite's LIKE already ignores ASCII case.
    postgres = User._meta.db.engine_type == "postgres"
    name, email, organization = (column.ilike(pattern) if postgres else column.like(pattern) for column in columns)
    matching = name | email | organization
    return (
        await User.select(User.id, User.name, User.email, User.organization.name.as_alias("organization"))
        .where(_customers() & matching)
        .order_by(User.name)
        .order_by(User.id)
        .limit(limit)
    )


async def customer(*, user_id: int | None = None, email: str | None = None) -> User:
    """The active customer with this id or email; TicketError("requester_unknown") otherwise."""
    if user_id is not None:
        found = await User.objects().where(_customers() & (User.id == user_id)).first()
    else:
        found = await User.objects().where(_customers() & (User.email == (email or "").strip().lower())).first()
    if found is None:
        raise TicketError("requester_unknown", "requester")
    return found


async def organization_name(user: User) -> str:
    if not user.organization:
        return ""
    row = await Organization.select(Organization.name).where(Organization.id == user.organization).first()
    return row["name"] if row else ""


async def file_for(
    settings: Settings, agent: User, requester: User, draft: NewTicket, files: Sequence[Incoming] = ()
) -> Ticket:
    """File `draft` (with `files`) for `requester` by staff member `agent`: the ticket and its receipt
    are the customer's, the timeline names the agent, the channel says how the customer got in touch."""
    if not is_staff(agent):
        raise NotAllowed()
    if draft.channel not in STAFF_CHANNELS:
        raise TicketError("channel_invalid", "channel")
    return await uploads.file_ticket(settings, requester, draft, files, by=agent)


async def file_by_email(
    settings: Settings, agent: User, email: str | None, channel: str | None, draft: NewTicket
) -> Ticket:
    """The API's filing: with a requester or a channel only staff file for someone (a customer asking
    for either is refused before anything is looked up); without them the caller files for themselves."""
    if email is None and channel is None:
        return await open_ticket(settings, agent, draft)
    if not is_staff(agent):
        raise NotAllowed()
    requester = await customer(email=email) if email is not None else agent
    return await file_for(settings, agent, requester, replace(draft, channel=channel or "staff"))
