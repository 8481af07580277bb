"""Escalation: the background pass that announces new tickets nobody took, tells the supervisors of
tickets not triaged in time and of breached deadlines, and warns the assignee before a deadline; each
once per ticket and stage, across every process and machine (the claim is a unique row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from auth.tables import Role, User
from portal import i18n
from portal.db import write_transaction
from portal.notify.outbox import Outgoing, enqueue_many, prepare_each
from portal.settings import Settings
from portal.sla.tables import Escalation
from portal.tickets.groups import Audience, audience
from portal.tickets.tables import Event, Ticket
from portal.tickets.visibility import number_of

BATCH = 250  # tickets a pass handles at most; a pass that found this many runs again at once
ANNOUNCE = "announce"
TRIAGE = "triage"
# stage → (the ticket column holding its moment, who hears of it)
STAGES: dict[str, tuple[str, str]] = {
    ANNOUNCE: ("created_at", "agents"),
    TRIAGE: ("triage_due", "supervisors"),
    "first_response_warning": ("first_response_warn_at", "assignee"),
    "first_response_breach": ("first_response_due", "supervisors"),
    "resolution_warning": ("resolution_warn_at", "assignee"),
    "resolution_breach": ("resolution_due", "supervisors"),
}
# A warning names the deadline it warns of; the other mails the moment that passed.
NAMED_MOMENT = {"first_response_warning": "first_response_due", "resolution_warning": "resolution_due"}
_COLUMNS = (
    Ticket.id,
    Ticket.subject,
    Ticket.status,
    Ticket.assignee,
    Ticket.staff_group,
    Ticket.created_at,
    Ticket.triage_due,
    Ticket.first_response_due,
    Ticket.first_response_warn_at,
    Ticket.first_responded_at,
    Ticket.resolution_due,
    Ticket.resolution_warn_at,
    Ticket.escalate_at,
)


def applies(stage: str, ticket: dict) -> bool:
    """Whether the stage still means something for the ticket as it is now."""
    status = ticket["status"]
    if stage == ANNOUNCE:
        return status == "new" and ticket["assignee"] is None
    if stage == TRIAGE:
        # Taken means opened by someone or answered: a coordinator who never looked has not taken it.
        return status == "new" and ticket["first_responded_at"] is None
    if stage.startswith("first_response"):
        return status in ("new", "open", "pending") and ticket["first_responded_at"] is None
    # The resolution clock stands still while the customer is asked for something.
    return status in ("new", "open")


def due_stages(ticket: dict, now: datetime) -> tuple[list[str], datetime | None]:
    """The stages whose moment has come, and when the pass must look again (None: nothing left, until
    a change of the ticket asks for a fresh look)."""
    due, later = [], []
    for stage, (column, _who) in STAGES.items():
        moment = ticket[column]
        if moment is None or not applies(stage, ticket):
            continue
        if moment <= now:
            due.append(stage)
        else:
            later.append(moment)
    return due, min(later, default=None)


@dataclass(slots=True)
class Recipients:
    audience: Audience
    people: dict[int, dict]

    def of(self, who: str, assignee: int | None, group: int | None) -> list[dict]:
        if who == "supervisors":
            return self.audience.supervisors_of(group)
        if who == "assignee" and assignee in self.people:
            return [self.people[assignee]]
        return self.audience.agents_of(group)


async def _recipients(assignees: set[int], groups: set[int]) -> Recipients:
    """The active staff, and who of them hears of each group's tickets (a ticket without a group: all
    supervisors, admins when there are none; all agents)."""
    fields = (User.id, User.email, User.name, User.locale, User.time_zone, User.role)
    staff = User.role.is_in([Role.AGENT.value, Role.SUPERVISOR.value, Role.ADMIN.value])
    rows = await User.select(*fields).where((User.is_active == True) & (staff | User.id.is_in([0, *assignees])))  # noqa: E712
    staff_roles = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
    people = {r["id"]: r for r in rows if r["role"] in staff_roles}
    return Recipients(await audience(list(people.values()), groups), people)


def staff_link(settings: Settings, ticket_id: int) -> str:
    return f"{settings.base_url}/staff/tickets/{number_of(ticket_id)}"


async def _claim(claims: list[tuple[int, str, datetime]], now: datetime) -> set[tuple[int, str]]:
    """Insert the claims; the ones another process made first are skipped by the database."""
    if not claims:
        return set()
    args: list[object] = []
    for ticket_id, stage, due in sorted(claims, key=lambda c: (c[0], c[1])):
        # An announcement needs nobody's acknowledgement.
        args += [f"{ticket_id}:{stage}", ticket_id, stage, due, now, now if stage == ANNOUNCE else None]
    values = ", ".join("({}, {}, {}, {}, {}, {})" for _ in claims)
    # One multi-row statement: Piccolo building it from table objects took longer than the rest of the
    # pass. Only placeholders are formatted in; the values travel as arguments.
    won = await Escalation.raw(
        'INSERT INTO sla_escalation ("key", ticket, stage, due_at, created_at, acknowledged_at) '  # noqa: S608
        f'VALUES {values} ON CONFLICT ("key") DO NOTHING RETURNING "key"',
        *args,
    )
    return {(int(k.split(":")[0]), k.split(":")[1]) for k in (row["key"] for row in won)}


async def run_pass(settings: Settings, now: datetime | None = None, limit: int = BATCH) -> int:
    """One look at the tickets whose moment has come; returns how many escalations this process made."""
    now = now or datetime.now(UTC)
    tickets = await Ticket.select(*_COLUMNS).where(Ticket.escalate_at <= now).order_by(Ticket.escalate_at).limit(limit)
    if not tickets:
        return 0
    plans = {t["id"]: due_stages(t, now) for t in tickets}
    claims = [(t["id"], stage, t[STAGES[stage][0]]) for t in tickets for stage in plans[t["id"]][0]]
    recipients = None
    if claims:
        assignees = {t["assignee"] for t in tickets if t["assignee"]}
        recipients = await _recipients(assignees, {t["staff_group"] for t in tickets if t["staff_group"]})
    by_id = {t["id"]: t for t in tickets}
    async with write_transaction():
        won = await _claim(claims, now)
        escalated = sorted({ticket_id for ticket_id, stage in won if stage != ANNOUNCE})
        if escalated:
            events = [(ticket_id, stage) for ticket_id, stage in sorted(won) if stage != ANNOUNCE]
            args = [value for ticket_id, stage in events for value in (ticket_id, stage, now)]
            values = ", ".join("({}, NULL, 'escalated', '', {}, FALSE, {})" for _ in events)
            await Event.raw(
                f"INSERT INTO ticket_event (ticket, actor, kind, old, new, public, created_at) VALUES {values}",  # noqa: S608
                *args,
            )
            await Ticket.update({Ticket.escalated_at: now}).where(
                Ticket.id.is_in(escalated) & Ticket.escalated_at.is_null()
            )
        mails = []
        for ticket_id, stage in sorted(won):
            ticket = by_id[ticket_id]
            people = recipients.of(STAGES[stage][1], ticket["assignee"], ticket["staff_group"])
            mails += _mails(settings, people, stage, by_id[ticket_id])
        await enqueue_many(mails, now)
        await _reschedule(tickets, plans)
    return len(won)


def _mails(settings: Settings, people: list[dict], stage: str, ticket: dict) -> list[Outgoing]:
    """The stage's mail to each person, rendered once per language and time zone among them."""
    moment = ticket[NAMED_MOMENT.get(stage, STAGES[stage][0])]
    alike: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for person in people:
        alike.setdefault((person["locale"], person["time_zone"]), []).append((person["email"], person["name"]))
    return [
        mail
        for (locale, zone), addressed in alike.items()
        for mail in prepare_each(
            addressed,
            "ticket_escalation",
            locale,
            stage=stage,
            number=number_of(ticket["id"]),
            subject=ticket["subject"],
            when=_when(moment, zone, locale),
            link=staff_link(settings, ticket["id"]),
            site_name=settings.site_name,
        )
    ]


@lru_cache(maxsize=4096)
def _when(moment: datetime, time_zone: str, locale: str) -> str:
    # Many tickets share a moment (the pass's `now`, a deadline at the top of the hour).
    return i18n.format_when(moment, time_zone, locale, "long")


async def _reschedule(tickets: list[dict], plans: dict[int, tuple[list[str], datetime | None]]) -> None:
    """When each ticket is looked at next; a ticket changed since it was read (its escalate_at moved)
    keeps the moment the change set."""
    cases, args = [], []
    for ticket in tickets:
        cases.append("WHEN id = {} AND escalate_at = {} THEN {}")
        args += [ticket["id"], ticket["escalate_at"], plans[ticket["id"]][1]]
    ids = ", ".join("{}" for _ in tickets)
    args += [t["id"] for t in tickets]
    # Only placeholders are formatted in; the values travel as arguments.
    sql = f"UPDATE ticket SET escalate_at = CASE {' '.join(cases)} ELSE escalate_at END WHERE id IN ({ids})"  # noqa: S608
    await Ticket.raw(sql, *args)


async def acknowledge(actor_id: int, ticket_id: int, now: datetime | None = None) -> bool:
    """Someone has seen the escalations of the ticket: the flag goes, the rows say who and when."""
    now = now or datetime.now(UTC)
    async with write_transaction():
        await Escalation.update({Escalation.acknowledged_at: now, Escalation.acknowledged_by: actor_id}).where(
            (Escalation.ticket == ticket_id) & Escalation.acknowledged_at.is_null()
        )
        changed = (
            await Ticket.update({Ticket.escalated_at: None})
            .where((Ticket.id == ticket_id) & Ticket.escalated_at.is_not_null())
            .returning(Ticket.id)
        )
    return bool(changed)
