"""Who sees which ticket and which of its parts: staff see all; a customer their own tickets, those they
are in copy of (a cc follower), and their organization's when it shares them, and of each only the
public messages and events (never internal notes). Anything else is as absent as a ticket that does not exist."""

from __future__ import annotations

from piccolo.columns.combination import Where

from auth.tables import Organization, Role, User
from portal import logs
from portal.tickets.errors import TicketError, TicketNotFound
from portal.tickets.tables import NUMBER_BASE, Attachment, Event, Follower, Message, Ticket

STAFF = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


def is_staff(user: User) -> bool:
    return Role(user.role) in STAFF


# What a customer may read of a ticket: every other query of messages or events for customers adds these.
PUBLIC_MESSAGE = Message.internal == False  # noqa: E712
PUBLIC_EVENT = Event.public == True  # noqa: E712


def sees_internal(viewer: User | None) -> bool:
    """Whether the viewer reads internal notes and staff-only events (what the *_seen_by conditions say)."""
    return viewer is not None and is_staff(viewer)


def messages_seen_by(viewer: User | None, ticket_id: int) -> Where:
    """The ticket's messages the viewer may read: internal notes are for staff only. No viewer: what
    the customer sees (the customer's page shows staff that too)."""
    own = Message.ticket == ticket_id
    return own if sees_internal(viewer) else own & PUBLIC_MESSAGE


def files_seen_by(viewer: User | None, ticket_id: int) -> Where:
    """The ticket's files the viewer may fetch: a file belongs to the description (no message) or to a
    message, and internal notes' files stay with staff. No viewer: what the customer sees."""
    own = Attachment.ticket == ticket_id
    if sees_internal(viewer):
        return own
    return own & (Attachment.message.is_null() | (Attachment.message.internal == False))  # noqa: E712


def events_seen_by(viewer: User | None, ticket_id: int) -> Where:
    """The ticket's timeline events the viewer may read: staff-only events stay with staff. No viewer:
    what the customer sees."""
    own = Event.ticket == ticket_id
    return own if sees_internal(viewer) else own & PUBLIC_EVENT


async def shared_organization(user: User) -> int | None:
    if not user.organization:
        return None
    org = await Organization.select(Organization.shares_tickets).where(Organization.id == user.organization).first()
    return user.organization if org and org["shares_tickets"] else None


async def scope(user: User) -> Where | None:
    """The condition a customer's ticket queries carry (None for staff: everything)."""
    if is_staff(user):
        return None
    own = Ticket.requester == user.id
    if user.organization:  # in copy while they belong to the ticket's organization (as _may_see says)
        in_copy = Follower.select(Follower.ticket).where((Follower.follower == user.id) & (Follower.role == "cc"))
        own = own | (Ticket.id.is_in(in_copy) & (Ticket.organization == user.organization))
    organization = await shared_organization(user)
    return own | (Ticket.organization == organization) if organization else own


def id_of(number: int) -> int:
    return number - NUMBER_BASE


def number_of(ticket_id: int) -> int:
    return ticket_id + NUMBER_BASE


# Every ticket page and API read starts here: plain SQL, since building Piccolo's prefetching query of
# the ticket with its two people cost several times running it.
_TICKET = "SELECT * FROM ticket WHERE id = {}"
_PEOPLE = "SELECT * FROM portal_user WHERE id = {} OR id = {}"
_SHARES = "SELECT shares_tickets FROM organization WHERE id = {}"
_IN_COPY = "SELECT id FROM ticket_follower WHERE ticket = {} AND follower = {} AND role = 'cc'"


async def _may_see(user: User, row: dict) -> bool:
    """scope() for one ticket already read."""
    if is_staff(user) or row["requester"] == user.id:
        return True
    if not row["organization"] or row["organization"] != user.organization:
        return False
    if await Follower.raw(_IN_COPY, row["id"], user.id):
        return True
    shares = await Organization.raw(_SHARES, row["organization"])
    return bool(shares and shares[0]["shares_tickets"])


async def get_for(user: User, number: int) -> Ticket:
    """The ticket with its requester and assignee, if the user may see it; TicketNotFound otherwise."""
    rows = await Ticket.raw(_TICKET, id_of(number))
    if not rows:
        raise TicketNotFound()
    if not await _may_see(user, rows[0]):
        logs.security_event("ticket_access", "refused", user_id=user.id, ticket=number)
        raise TicketNotFound()
    row = rows[0]
    people = {
        p["id"]: User(_exists_in_db=True, **p)
        for p in await User.raw(_PEOPLE, row["requester"], row["assignee"] or row["requester"])
    }
    ticket = Ticket(_exists_in_db=True, **row)
    ticket.requester = people[row["requester"]]
    ticket.assignee = people.get(row["assignee"]) if row["assignee"] else None
    return ticket


MAX_REACH = 100  # tickets one bulk action may name


async def may_see(user: User, ticket_id: int) -> bool:
    """Whether the user may see the ticket with this id (the rule get_for applies)."""
    rows = await Ticket.raw(_TICKET, ticket_id)
    return bool(rows) and await _may_see(user, rows[0])


async def within_reach(user: User, numbers: list[int]) -> tuple[list[Ticket], list[int]]:
    """The tickets a staff member may act on, in the order named, and the numbers refused. A staff
    member's reach is what the staff queue shows them: every ticket that exists; customers reach none."""
    if len(numbers) > MAX_REACH:
        raise TicketError("bulk_too_many", "tickets")
    reached: list[Ticket] = []
    refused: list[int] = []
    for number in dict.fromkeys(numbers):
        try:
            if not is_staff(user):
                raise TicketNotFound()
            reached.append(await get_for(user, number))
        except TicketNotFound:
            refused.append(number)
    return reached, refused
