"""The conversation on a ticket and its status: replies, internal notes, the workflow's moves with
their pauses, reopening and closing, each written with its timeline event and its emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auth.tables import User
from portal.db import write_transaction
from portal.settings import Settings
from portal.sla import levels
from portal.sla.calendar import BusinessCalendar
from portal.sla.policy import resume
from portal.sla.worktime import minutes, to_first_response, to_resolution
from portal.tickets import followers, ratings, rendering, status_time
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.filing import clean_body, plan_of
from portal.tickets.mail import mail
from portal.tickets.row_lock import lock_current
from portal.tickets.tables import Event, Message, Ticket
from portal.tickets.visibility import is_staff
from portal.tickets.workflow import TRANSITIONS, Status, check

REOPEN_WITHIN = timedelta(days=14)
AUTO = "auto"  # the next status a staff message chooses by itself (next_status)


async def _calendar(settings: Settings, ticket: Ticket) -> BusinessCalendar:
    """The calendar the ticket's deadlines are counted in, as filing counted them: its requester's plan,
    their organization's time zone and holidays."""
    plan, time_zone, org = await plan_of(await _requester(ticket))
    organization = org.id if org else None
    found = await levels.level(plan, ticket.priority, ticket.type, time_zone, settings.holidays, organization)
    return found.calendar


def _id(value) -> int:
    return getattr(value, "id", value)


async def _requester(ticket: Ticket) -> User:
    return await User.objects().where(User.id == _id(ticket.requester)).first()


async def _mail_requester(settings: Settings, ticket: Ticket, template: str, **context: object) -> None:
    """A public mail: to the requester and the customers in copy."""
    await mail(settings, await _requester(ticket), template, ticket, **context)
    await followers.mail_cc(settings, ticket, template, **context)


def next_status(ticket: Ticket, internal: bool, then: str | None) -> str | None:
    """The status a staff message leaves the ticket in: the one the agent chose, or by default (AUTO)
    "waiting for the customer" after a public reply, where the workflow allows it; a note keeps it."""
    if then != AUTO:
        return then
    if internal or Status.PENDING not in TRANSITIONS[Status(ticket.status)]:
        return None
    return Status.PENDING.value


def _rating_link(settings: Settings, ticket: Ticket, now: datetime) -> str:
    return f"{settings.base_url}/rate/{ratings.make_token(settings.secret_key, ticket.id, ticket.resolutions, now)}"


async def _move(
    settings: Settings, ticket: Ticket, target: Status, actor: User | None, now: datetime, *, quiet: bool = False
) -> None:
    """Change the status (inside the caller's transaction): timestamps, the paused clock, the time in
    each status, the event, mail (unless `quiet`: the caller's own mail tells it)."""
    current = Status(ticket.status)
    check(current, target)
    calendar = await _calendar(settings, ticket) if target == Status.RESOLVED or current == Status.PENDING else None
    if current == Status.PENDING and ticket.paused_at is not None:
        ticket.paused_business_minutes = (ticket.paused_business_minutes or 0) + minutes(
            calendar.between(ticket.paused_at, now)
        )
        ticket.resolution_due = resume(calendar, ticket.resolution_due, ticket.paused_at, now)
        ticket.resolution_warn_at = resume(calendar, ticket.resolution_warn_at, ticket.paused_at, now)
        ticket.paused_at = None
    if target in (Status.OPEN, Status.NEW):
        ticket.escalate_at = now  # its clocks run again: the escalation pass looks at it afresh
    if target == Status.PENDING:
        ticket.paused_at = now
    if target == Status.RESOLVED:
        ticket.resolved_at = now
        ticket.resolutions += 1
        ticket.resolution_business_minutes = to_resolution(
            calendar, ticket.created_at, now, ticket.paused_business_minutes or 0
        )
    if target == Status.CLOSED:
        ticket.closed_at = now
    kind = "reopened" if current in (Status.RESOLVED,) and target == Status.OPEN else "status"
    status_time.leave(ticket, now)
    ticket.status = target.value
    ticket.updated_at = now
    await ticket.save()
    # The move's own moment: time in each status is read from these events.
    await Event(
        ticket=ticket.id,
        actor=actor.id if actor else None,
        kind=kind,
        old=current.value,
        new=target.value,
        created_at=now,
    ).save()
    if quiet:
        return
    await followers.tell_co_executors(settings, ticket, actor, "status", target.value)
    if target == Status.PENDING:
        await _mail_requester(settings, ticket, "ticket_pending")
    elif target == Status.RESOLVED:
        await _mail_requester(settings, ticket, "ticket_resolved", rating_link=_rating_link(settings, ticket, now))


async def change_status(settings: Settings, actor: User, ticket: Ticket, target: str) -> Ticket:
    """Staff move a ticket through the workflow."""
    if not is_staff(actor):
        raise NotAllowed()
    async with write_transaction():
        await lock_current(ticket)
        await _move(settings, ticket, Status(target), actor, datetime.now(UTC))
    return ticket


async def reply(
    settings: Settings, author: User, ticket: Ticket, body: str, *, internal: bool = False, then: str | None = AUTO
) -> Message:
    """A message on the ticket. A customer's reply reopens a pending or recently resolved ticket;
    a staff reply is the first response if none came before, is mailed to the customer and leaves the
    ticket in next_status; an internal note reaches staff only. Co-executors are told of each."""
    body = clean_body(body, "reply")
    staff = is_staff(author)
    if internal and not staff:
        raise NotAllowed()
    then = next_status(ticket, internal, then) if staff else None
    status = Status(ticket.status)
    now = datetime.now(UTC)
    if status == Status.CLOSED:
        raise TicketError("ticket_closed")
    if not staff and status == Status.RESOLVED and now - (ticket.resolved_at or now) > REOPEN_WITHIN:
        raise TicketError("reopen_expired")
    html = await rendering.rendered(body)  # before the transaction: on SQLite it holds the write lock
    async with write_transaction():
        await lock_current(ticket)
        status = Status(ticket.status)
        if status == Status.CLOSED:  # closed since the page was read
            raise TicketError("ticket_closed")
        message = Message(
            ticket=ticket.id, author=author.id, body=body, body_html=html, internal=internal, created_at=now
        )
        await message.save()
        if staff and not internal and ticket.first_responded_at is None:
            ticket.first_responded_at = now
            calendar = await _calendar(settings, ticket)
            ticket.first_response_business_minutes = to_first_response(calendar, ticket.created_at, now)
        if staff:
            ticket.escalated_at = None  # someone acted on it
        if not staff and status in (Status.PENDING, Status.RESOLVED):
            await _move(settings, ticket, Status.OPEN, author, now)
        elif then and then != ticket.status and staff:
            # A public answer and the status it leaves the ticket in reach the customer as one mail.
            await _move(settings, ticket, Status(then), author, now, quiet=not internal)
        ticket.updated_at = now
        await ticket.save(
            [Ticket.first_responded_at, Ticket.first_response_business_minutes, Ticket.escalated_at, Ticket.updated_at]
        )
        if staff and not internal:
            moved = ticket.status if then == ticket.status and then in (Status.PENDING, Status.RESOLVED) else ""
            rating_link = _rating_link(settings, ticket, now) if moved == Status.RESOLVED else ""
            await _mail_requester(
                settings, ticket, "ticket_reply", message=body, author=author.name, then=moved, rating_link=rating_link
            )
        elif not staff and ticket.assignee:
            agent = await User.objects().where(User.id == _id(ticket.assignee)).first()
            await mail(settings, agent, "ticket_customer_reply", ticket, message=body)
        change = ("note" if internal else "reply") if staff else "customer"
        await followers.tell_co_executors(settings, ticket, author, change, body)
    return message


async def close_by_customer(settings: Settings, customer: User, ticket: Ticket) -> Ticket:
    """ "Close: my problem is solved"."""
    async with write_transaction():
        await lock_current(ticket)
        if Status(ticket.status) != Status.CLOSED:
            await _move(settings, ticket, Status.CLOSED, customer, datetime.now(UTC))
    return ticket


async def close_resolved(settings: Settings, now: datetime | None = None) -> int:
    """Close tickets resolved more than PORTAL_AUTO_CLOSE_DAYS ago and never reopened; returns how many."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=settings.auto_close_days)
    due = await Ticket.objects().where((Ticket.status == Status.RESOLVED) & (Ticket.resolved_at < cutoff)).limit(200)
    for ticket in due:
        async with write_transaction():
            # Of two closers at once, the second reads it closed (one close, one mail).
            await lock_current(ticket)
            if ticket.status != Status.RESOLVED:
                continue  # reopened meanwhile
            await _move(settings, ticket, Status.CLOSED, None, now)
            await _mail_requester(settings, ticket, "ticket_closed")
    return len(due)
