"""Filing a ticket: checked, numbered, given its deadlines and coordinator, receipted by email, all
in one transaction; the same filing sent twice makes one ticket."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from auth.tables import Organization, User
from portal.db import is_unique_violation, write_transaction
from portal.db.inserts import insert
from portal.settings import Settings
from portal.sla import levels
from portal.sla.policy import RANK
from portal.tickets import rendering, types
from portal.tickets.errors import TicketError
from portal.tickets.mail import mail
from portal.tickets.tables import Event, Ticket
from portal.tickets.visibility import is_staff

MAX_SUBJECT = 200
MAX_DESCRIPTION = 20_000
CHANNELS = ("web", "email", "api", "phone", "chat", "staff")
# Every filing runs these two; building them with Piccolo's query builder cost more than running them.
_BY_KEY = "SELECT * FROM ticket WHERE idempotency_key = {}"
_ORGANIZATION = "SELECT * FROM organization WHERE id = {}"


@dataclass(frozen=True, slots=True)
class NewTicket:
    type: str
    subject: str
    description: str
    priority: str = "normal"
    custom_fields: dict[str, str] = field(default_factory=dict)
    channel: str = "web"
    idempotency_key: str = ""


def clean_subject(subject: str) -> str:
    """One line (it becomes an email subject), 1–200 characters."""
    subject = " ".join("".join(ch if ch.isprintable() else " " for ch in subject or "").split())
    if not subject:
        raise TicketError("subject_required", "subject")
    if len(subject) > MAX_SUBJECT:
        raise TicketError("subject_too_long", "subject")
    return subject


def clean_body(text: str, field_name: str = "description") -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise TicketError(f"{field_name}_required", field_name)
    if len(text) > MAX_DESCRIPTION:
        raise TicketError(f"{field_name}_too_long", field_name)
    return text


async def plan_of(requester: User) -> tuple[str, str, Organization | None]:
    """The support plan, the time zone its hours are counted in, and the organization, if any."""
    if not requester.organization:
        return "standard", requester.time_zone, None
    rows = await Organization.raw(_ORGANIZATION, requester.organization)
    org = Organization(_exists_in_db=True, **rows[0])
    return org.support_plan, org.time_zone or requester.time_zone, org


async def _priority(plan: str, priority: str, by_staff: bool) -> str:
    if priority not in RANK:
        raise TicketError("priority_invalid", "priority")
    if not by_staff and priority not in await levels.customer_priorities(plan):
        raise TicketError("priority_not_in_plan", "priority")
    return priority


async def open_ticket(settings: Settings, requester: User, draft: NewTicket, *, by: User | None = None) -> Ticket:
    """File a ticket for `requester` (by them, or by staff member `by`); returns it, or the ticket
    the same idempotency key already made."""
    key = f"{requester.id}:{draft.idempotency_key[:120]}" if draft.idempotency_key else None
    # A retry finds its ticket before anything is checked again.
    if key and (earlier := await _by_key(key)):
        return earlier
    # Checked and read before the transaction: on SQLite it holds the only write lock.
    ticket = await _new_ticket(settings, requester, draft, key, by)
    try:
        # The ticket, its timeline and its mail are stored together or not at all.
        async with write_transaction():
            await insert(ticket)
            await insert(Event(ticket=ticket.id, actor=(by or requester).id, kind="created", new=ticket.status))
            await mail(settings, requester, "ticket_receipt", ticket)
            if ticket.assignee:
                await Event(ticket=ticket.id, kind="assigned", new=str(ticket.assignee), public=False).save()
                await mail_assignment(settings, ticket)
        return ticket
    except Exception as exc:
        # Two submissions with one key raced past the check: the database let only one in.
        if key and is_unique_violation(exc) and (earlier := await _by_key(key)):
            return earlier
        raise


async def _by_key(key: str) -> Ticket | None:
    rows = await Ticket.raw(_BY_KEY, key)
    return Ticket(_exists_in_db=True, **rows[0]) if rows else None


@dataclass(frozen=True, slots=True)
class Checked:
    """A draft that filing accepts, with what its deadlines are counted from."""

    subject: str
    description: str
    type: str
    answers: dict
    priority: str
    plan: str
    time_zone: str
    organization: Organization | None


async def check(requester: User, draft: NewTicket, by: User | None = None) -> Checked:
    """Everything filing refuses, found without writing anything: the form's step that suggests
    articles calls this first, so a customer never reads articles only to be sent back to the form."""
    subject, description = clean_subject(draft.subject), clean_body(draft.description)
    if draft.channel not in CHANNELS:
        raise TicketError("channel_invalid", "channel")
    ticket_type = await types.check_type(draft.type)
    answers = await types.check_fields(ticket_type, draft.custom_fields)
    plan, time_zone, org = await plan_of(requester)
    priority = await _priority(plan, draft.priority, by_staff=by is not None and is_staff(by))
    return Checked(subject, description, ticket_type, answers, priority, plan, time_zone, org)


async def _new_ticket(
    settings: Settings, requester: User, draft: NewTicket, key: str | None, by: User | None
) -> Ticket:
    """The checked, not yet saved ticket with its deadlines and coordinator."""
    checked = await check(requester, draft, by)
    org = checked.organization
    now = datetime.now(UTC)
    holidays, percent = settings.holidays, settings.sla_warn_percent
    zone = checked.time_zone
    org_id = org.id if org else None
    due = await levels.deadlines(checked.plan, checked.priority, checked.type, now, zone, holidays, percent, org_id)
    coordinator = org.coordinator if org else None
    group = (await types.routing()).get(checked.type)
    return Ticket(
        requester=requester.id,
        organization=org.id if org else None,
        type=checked.type,
        priority=checked.priority,
        subject=checked.subject,
        description=checked.description,
        description_html=await rendering.rendered(checked.description),
        custom_fields=checked.answers,
        channel=draft.channel,
        assignee=coordinator,
        staff_group=group,
        first_response_due=due.first_response,
        resolution_due=due.resolution,
        triage_due=due.triage,
        first_response_warn_at=due.first_response_warning,
        resolution_warn_at=due.resolution_warning,
        # Nobody took it: the escalation pass announces it to the agents at once.
        escalate_at=now if coordinator is None else due.triage,
        idempotency_key=key,
        created_at=now,
        updated_at=now,
    )


async def mail_assignment(settings: Settings, ticket: Ticket) -> None:
    await mail(settings, await User.objects().where(User.id == ticket.assignee).first(), "ticket_assigned", ticket)
