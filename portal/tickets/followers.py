"""Followers of a ticket: co-executors (colleagues the responsible agent works with, told of every
change) and customers of the ticket's organization in copy (cc: they get the public mails and see the
ticket). Who may add whom, the list, and the mail each of them gets."""

from __future__ import annotations

from dataclasses import dataclass

from auth.tables import Role, User
from portal.db import write_transaction
from portal.settings import Settings
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.mail import mail
from portal.tickets.row_lock import lock_current
from portal.tickets.tables import Event, Follower, Ticket
from portal.tickets.visibility import is_staff

CO_EXECUTOR = "co-executor"
CC = "cc"
ROLES = (CO_EXECUTOR, CC)
MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    name: str
    email: str
    role: str


def _id(value) -> int | None:
    return getattr(value, "id", value)


def may_manage(actor: User, ticket: Ticket) -> bool:
    """The responsible agent, a supervisor or an administrator adds and removes followers."""
    return Role(actor.role) in MANAGERS or (is_staff(actor) and _id(ticket.assignee) == actor.id)


async def _person(ref: object) -> User:
    """A user named by id or email; TicketError when there is none."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        found = await User.objects().where(User.id == ref).first()
    elif isinstance(ref, str) and ref.strip().isdigit():
        found = await User.objects().where(User.id == int(ref.strip())).first()
    elif isinstance(ref, str) and ref.strip():
        found = await User.objects().where(User.email == ref.strip().lower()).first()
    else:
        found = None
    if found is None or not found.is_active:
        raise TicketError("follower_unknown", "user")
    return found


def _check_role(ticket: Ticket, person: User, role: str) -> None:
    if role not in ROLES:
        raise TicketError("follower_role_invalid", "role")
    if person.id in (_id(ticket.requester), _id(ticket.assignee)):
        raise TicketError("follower_already_involved", "user")
    if role == CO_EXECUTOR and not is_staff(person):
        raise TicketError("follower_not_staff", "user")
    if role == CC:
        if is_staff(person):
            raise TicketError("follower_not_customer", "user")
        if not ticket.organization or person.organization != _id(ticket.organization):
            raise TicketError("follower_other_organization", "user")


async def add(actor: User, ticket: Ticket, ref: object, role: str) -> Entry:
    """Add (or change the role of) a follower; a staff-only event for a co-executor, a public one for cc."""
    async with write_transaction():
        # Who manages the followers and who may follow are decided on the ticket's assignee and
        # organization as they are now: an agent the ticket was taken from meanwhile adds no one.
        await lock_current(ticket)
        if not may_manage(actor, ticket):
            raise NotAllowed("follower_not_allowed")
        person = await _person(ref)
        _check_role(ticket, person, role)
        key = f"{ticket.id}:{person.id}"
        existing = await Follower.objects().where(Follower.key == key).first()
        if existing is None:
            await Follower(key=key, ticket=ticket.id, follower=person.id, role=role, added_by=actor.id).save()
        elif existing.role != role:
            existing.role = role
            await existing.save([Follower.role])
        else:
            return Entry(person.id, person.name, person.email, role)
        await Event(
            ticket=ticket.id, actor=actor.id, kind="follower", new=f"{role}:{person.name}"[:100], public=role == CC
        ).save()
    return Entry(person.id, person.name, person.email, role)


async def remove(actor: User, ticket: Ticket, ref: object) -> None:
    async with write_transaction():
        await lock_current(ticket)
        if not may_manage(actor, ticket):
            raise NotAllowed("follower_not_allowed")
        person = await _person(ref)
        existing = await Follower.objects().where(Follower.key == f"{ticket.id}:{person.id}").first()
        if existing is None:
            raise TicketError("follower_unknown", "user")
        await existing.remove()
        await Event(
            ticket=ticket.id,
            actor=actor.id,
            kind="unfollower",
            old=f"{existing.role}:{person.name}"[:100],
            public=existing.role == CC,
        ).save()


async def of_ticket(ticket_id: int) -> list[Entry]:
    rows = (
        await Follower.select(Follower.follower.id, Follower.follower.name, Follower.follower.email, Follower.role)
        .where(Follower.ticket == ticket_id)
        .order_by(Follower.id)
    )
    return [Entry(r["follower.id"], r["follower.name"], r["follower.email"], r["role"]) for r in rows]


async def _people(ticket_id: int, role: str, besides: int | None) -> list[User]:
    ids = [
        r["follower"]
        for r in await Follower.select(Follower.follower).where(
            (Follower.ticket == ticket_id) & (Follower.role == role)
        )
    ]
    ids = [i for i in ids if i != besides]
    return await User.objects().where(User.id.is_in(ids)) if ids else []


async def mail_cc(settings: Settings, ticket: Ticket, template: str, **context: object) -> None:
    """The requester's public mail, to the customers in copy too (inside the caller's transaction)."""
    for person in await _people(ticket.id, CC, None):
        await mail(settings, person, template, ticket, **context)


async def tell_co_executors(
    settings: Settings, ticket: Ticket, actor: User | None, change: str, message: str = ""
) -> None:
    """Tell the co-executors (but not the one who made it) what changed: `change` is a follow_* code the
    mail names, `message` the reply or note written, if any."""
    for person in await _people(ticket.id, CO_EXECUTOR, actor.id if actor else None):
        await mail(settings, person, "ticket_followed", ticket, change=change, message=message)
