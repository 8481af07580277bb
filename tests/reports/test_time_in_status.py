"""The time a ticket spends in each status: kept on the ticket as it moves, the same as its timeline
tells, read from the timeline by the migration for older tickets, and added up by the times report."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest

from auth.tables import Role
from portal.reports import times
from portal.reports.period import Filters, Period
from portal.tickets import conversation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Event, Ticket
from tests.helpers import create_user
from tests.reports.conftest import Clock, at

MIGRATION = importlib.import_module("portal.tickets.piccolo_migrations.tickets_2026_12_03t19_16_00_000000")
KEPT = (Ticket.status_since, Ticket.seconds_new, Ticket.seconds_open, Ticket.seconds_pending, Ticket.seconds_resolved)
HOUR = 3600
CLOSED = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # by the auto-close pass, 8 days after the last resolution


async def _kept(ticket_id: int) -> dict:
    return await Ticket.select(*KEPT).where(Ticket.id == ticket_id).first()


@pytest.fixture
async def walked(settings, monkeypatch):
    """One ticket through the whole workflow by the services, the clock held at each step; and one
    that never moved."""
    clock = Clock(monkeypatch)
    ann = await create_user(settings, "ann@example.com", name="Ann")
    agent = await create_user(settings, "alex@example.com", Role.AGENT, name="Alex Agent")
    ticket = await open_ticket(settings, ann, NewTicket("incident", "Printer offline", "Help"))
    await Ticket.update({Ticket.created_at: at(23, 10)}).where(Ticket.id == ticket.id)

    async def act(moment: datetime, step, who, *args, **kwargs) -> None:
        clock.moment = moment
        await step(settings, who, await Ticket.objects().where(Ticket.id == ticket.id).first(), *args, **kwargs)

    await act(at(23, 11), conversation.reply, agent, "Try a restart.", then="pending")  # new for 1 h
    await act(at(24, 10), conversation.reply, ann, "Still offline.")  # pending 23 h, open again
    await act(at(24, 12), conversation.change_status, agent, "resolved")  # open 2 h
    await act(at(25, 9), conversation.reply, ann, "Offline again.")  # resolved 21 h, reopened
    await act(at(25, 10), conversation.reply, agent, "Replace the cable.")  # open 1 h, then pending
    await act(at(26, 10), conversation.change_status, agent, "resolved")  # pending 24 h
    await conversation.close_resolved(settings, now=CLOSED)  # resolved 8 days
    untouched = await open_ticket(settings, ann, NewTicket("question", "Invoice copy", "Please"))
    return ticket.id, untouched.id


async def test_each_status_keeps_its_time_as_the_ticket_moves(walked):
    moved, untouched = walked
    assert await _kept(moved) == {
        "status_since": CLOSED,
        "seconds_new": 1 * HOUR,
        "seconds_open": (2 + 1) * HOUR,
        "seconds_pending": (23 + 24) * HOUR,
        "seconds_resolved": 21 * HOUR + int(timedelta(days=8).total_seconds()),
    }
    assert await _kept(untouched) == dict.fromkeys(("status_since", *(c._meta.name for c in KEPT[1:])))


async def test_the_kept_time_is_what_the_timeline_says(walked):
    moved, _untouched = walked
    ticket = await Ticket.objects().where(Ticket.id == moved).first()
    moves = await (
        Event.select(Event.old, Event.created_at)
        .where((Event.ticket == moved) & Event.kind.is_in(["status", "reopened"]))
        .order_by(Event.created_at)
        .order_by(Event.id)
    )
    spent, since = {}, ticket.created_at
    for move in moves:
        spent[move["old"]] = spent.get(move["old"], 0) + (move["created_at"] - since).total_seconds()
        since = move["created_at"]
    kept = await _kept(moved)
    assert {status: kept[f"seconds_{status}"] for status in spent} == spent
    assert kept["status_since"] == since


async def test_the_migration_reads_the_same_from_older_tickets_timelines(walked):
    before = await Ticket.select(Ticket.id, *KEPT).order_by(Ticket.id)
    await Ticket.update(dict.fromkeys(KEPT), force=True)
    await MIGRATION.backfill()
    assert await Ticket.select(Ticket.id, *KEPT).order_by(Ticket.id) == before


async def test_the_times_report_adds_up_the_kept_time_and_the_status_held_now(walked):
    week = Period.of("custom", "2026-11-23", "2026-11-29", CLOSED)
    report = await times.report(week, Filters(), CLOSED)
    assert report.table("time_in_status").rows == [
        ("incident", "new", 1, 60.0),
        ("incident", "open", 1, 180.0),
        ("incident", "pending", 1, 47 * 60.0),
        ("incident", "resolved", 1, 21 * 60.0 + 8 * 24 * 60),
    ]
    # A day later nothing changes for a closed ticket.
    assert (await times.report(week, Filters(), CLOSED + timedelta(days=1))).table("time_in_status").rows == (
        report.table("time_in_status").rows
    )
