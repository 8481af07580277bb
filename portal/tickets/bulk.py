"""Bulk actions on the tickets an agent selected in the queue: assign, take, set the status or the
priority, merge them into one. Each goes through the service that owns the change (and writes its
event); tickets outside the agent's reach (visibility.within_reach) are refused by number."""

from __future__ import annotations

from dataclasses import dataclass, field

from auth.tables import User
from portal.db import write_transaction
from portal.settings import Settings
from portal.sla.policy import RANK
from portal.tickets import assignment, conversation, merging, priority, visibility
from portal.tickets.errors import TicketError
from portal.tickets.row_lock import lock_current
from portal.tickets.tables import Ticket
from portal.tickets.workflow import InvalidTransition, Status

ACTIONS = ("assign", "take", "status", "priority", "merge")


@dataclass(frozen=True, slots=True)
class Bulk:
    action: str
    tickets: list[int]
    agent: int = 0  # assign
    status: str = ""
    priority: str = ""
    into: int = 0  # merge: the survivor, one of the selected


@dataclass(slots=True)
class Outcome:
    done: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # outside the agent's reach
    failed: list[tuple[int, str]] = field(default_factory=list)  # (number, why) the service refused


def numbers_of(values: list[str] | str) -> list[int]:
    """The ticket numbers a form sent (one value arrives as a string); TicketError for anything else."""
    values = [values] if isinstance(values, str) else values
    if not all(v.strip().isdigit() and len(v.strip()) < 12 for v in values):
        raise TicketError("bulk_tickets_invalid", "tickets")
    return [int(v) for v in values]


def _check(bulk: Bulk) -> None:
    """The request as a whole, before any ticket changes."""
    if bulk.action not in ACTIONS:
        raise TicketError("bulk_action_unknown", "action")
    if not bulk.tickets:
        raise TicketError("bulk_nothing_selected", "tickets")
    if bulk.action == "status" and bulk.status not in {s.value for s in Status}:
        raise TicketError("status_invalid", "status")
    if bulk.action == "priority" and bulk.priority not in RANK:
        raise TicketError("priority_invalid", "priority")
    if bulk.action == "merge" and bulk.into not in bulk.tickets:
        raise TicketError("merge_survivor_unselected", "into")


async def _one(settings: Settings, actor: User, bulk: Bulk, ticket: Ticket) -> None:
    if bulk.action == "assign":
        await assignment.assign(settings, actor, ticket, bulk.agent)
    elif bulk.action == "take":
        await assignment.assign(settings, actor, ticket, actor.id)
    elif bulk.action == "status":
        async with write_transaction():
            # The tickets were read when the action began: one may have moved there since.
            await lock_current(ticket)
            if ticket.status == bulk.status:
                return  # already there: nothing to move
            await conversation.change_status(settings, actor, ticket, bulk.status)
    elif bulk.action == "priority":
        await priority.change_priority(settings, actor, ticket, bulk.priority)
    else:
        await merging.merge(settings, actor, ticket, bulk.into)


async def apply(settings: Settings, actor: User, bulk: Bulk) -> Outcome:
    """Apply the action to exactly the selected tickets the actor may reach; say which were refused."""
    _check(bulk)
    tickets, refused = await visibility.within_reach(actor, bulk.tickets)
    outcome = Outcome(refused=refused)
    if bulk.action == "merge" and bulk.into in refused:
        raise TicketError("ticket_not_found", "into")
    for ticket in tickets:
        number = visibility.number_of(ticket.id)
        if bulk.action == "merge" and number == bulk.into:
            continue  # the survivor
        try:
            await _one(settings, actor, bulk, ticket)
        except InvalidTransition:
            outcome.failed.append((number, "ticket_transition_invalid"))
        except TicketError as exc:
            outcome.failed.append((number, exc.code))
        else:
            outcome.done.append(number)
    return outcome
