"""Background work every portal process runs: mail, the search index's catch-up, written reader activity,
expiry of old records, auto-closing of resolved tickets, removing files a crash left behind, and
regrouping recurring questions, the weekly report summaries, the database planner's statistics. A job
of the whole site (expiry, statistics, regrouping, the mailbox poll) runs in one process a period."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from auth import ratelimit, sessions
from kb.activity import ReaderActivity
from kb.indexing import IndexSync
from portal import db
from portal.accounts.flows import session_lifetime
from portal.channels import imap_poll
from portal.jobs import leases, regrouping
from portal.jobs.schedule import Every, Schedule
from portal.knowledge.content import catch_up
from portal.notify import sender
from portal.reports import weekly
from portal.settings import Settings
from portal.sla import escalation
from portal.tickets.attachments import ORPHAN_AFTER_S, sweep_orphans
from portal.tickets.conversation import close_resolved

log = logging.getLogger("portal.jobs")
MAIL_EVERY_S = 2.0
PURGE_EVERY_S = 600.0
ESCALATE_EVERY_S = 10.0  # an escalation goes out within a minute of its moment
# Each process looks this often whether the period's regrouping is still to do (one process does it).
REGROUP_EVERY_S = regrouping.EVERY.total_seconds()
INBOUND_EVERY_S = 60.0  # PORTAL_IMAP_URL is polled once a minute
SUMMARY_EVERY_S = 900.0  # the weekly summaries leave within a quarter of an hour of the week's end
# At start-up, then daily: how the tickets spread over statuses, agents and groups changes slowly, and
# gathering (a fraction of a second per 100,000 tickets) holds up writers meanwhile.
STATISTICS_EVERY_S = 86_400.0


# In the order a pass runs them. Each is due at start-up, except that the heavier ones that need not
# be quick wait a pass or a few, one a pass, so that a starting process sends its mail and answers at once.
SCHEDULE = {
    "statistics": Every(STATISTICS_EVERY_S),  # first: queries plan by them
    "mail": Every(0),
    "index": Every(0),
    "activity": Every(0),
    "escalation": Every(ESCALATE_EVERY_S),
    "purge": Every(PURGE_EVERY_S, first=1 * MAIL_EVERY_S),
    # Orphan files come only from crashes: an hourly look (every file's age, every old file's row) is plenty.
    "sweep": Every(ORPHAN_AFTER_S, first=2 * MAIL_EVERY_S),
    "regroup": Every(REGROUP_EVERY_S, first=3 * MAIL_EVERY_S),
    "summary": Every(SUMMARY_EVERY_S, first=4 * MAIL_EVERY_S),
    "inbound": Every(INBOUND_EVERY_S, first=5 * MAIL_EVERY_S),
}


async def run(settings: Settings, kb: IndexSync | None = None, activity: ReaderActivity | None = None) -> None:
    """Until cancelled; several processes may run it at once (claims keep mail single-sent, and the
    regrouping to one process a period)."""
    transport = sender.transport_for(settings.smtp_url, settings.maildir)
    # Jobs of the whole site run in one process a period, under a lease in the database; the rest claim
    # each item they handle (a mail, an escalation, a person's summary, an inbound message).
    tasks: dict[str, Callable[[], Awaitable[object]]] = {
        "statistics": leased("statistics", STATISTICS_EVERY_S, lambda: db.refresh_statistics(db.current_engine())),
        "mail": lambda: sender.deliver_due(transport, settings.mail_from),
        "escalation": lambda: escalate(settings),
        "purge": leased("purge", PURGE_EVERY_S, lambda: purge(settings)),
        # The files are this machine's: one sweep a period for each data folder on each machine.
        "sweep": leased(f"sweep:{_machine(settings)}", ORPHAN_AFTER_S, lambda: sweep_orphans(settings.data_dir)),
        "regroup": regrouping.when_due,
        # Each person's week is claimed in the database: one mail however many processes run this.
        "summary": lambda: weekly.send_due(settings),
    }
    if kb is not None:
        tasks["index"] = lambda: catch_up(kb)
    if activity is not None:
        tasks["activity"] = activity.flush
    if settings.imap_url:
        # One process polls a minute; should two poll at once, each message's claim lets one take it.
        tasks["inbound"] = leased("inbound", INBOUND_EVERY_S, lambda: imap_poll.fetch(settings))
    plan = Schedule({name: every for name, every in SCHEDULE.items() if name in tasks}, time.monotonic())
    while True:
        for name in plan.due(time.monotonic()):
            began = time.monotonic()
            try:
                await tasks[name]()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if db.OUTAGE.report(exc) is not None:  # logged once, not at every pass
                    break  # this task and the rest stay due: the next pass tries them again
                log.exception("background task %s failed", name)
            plan.ran(name, began)
        await asyncio.sleep(MAIL_EVERY_S)


def leased(name: str, every_s: float, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
    """`job` as a task that runs only where it wins the period's lease: every process looks when it is due
    (its own schedule), one does it. A run not finished after a few periods (at most half an hour) is
    taken for dead."""
    every = timedelta(seconds=every_s)
    return lambda: leases.once(name, every, min(every * 3, timedelta(minutes=30)), job)


def _machine(settings: Settings) -> str:
    """This machine's data folder, in at most 33 characters (a lease's name has 40)."""
    folder = hashlib.sha256(str(settings.data_dir.resolve()).encode()).hexdigest()[:12]
    return f"{socket.gethostname()[:20]}:{folder}"


async def purge(settings: Settings) -> None:
    await sessions.purge_expired(session_lifetime(settings))
    await ratelimit.purge_expired()
    await close_resolved(settings)


async def escalate(settings: Settings) -> int:
    """Every escalation that is due, a batch at a time (each claimed in the database)."""
    total = 0
    for _batch in range(20):  # a backlog after downtime drains over a few passes, not in one long one
        made = await escalation.run_pass(settings)
        total += made
        if not made:
            break
    return total
