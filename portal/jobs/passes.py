"""Background work every portal process runs: mail, the search index's catch-up, written reader activity,
expiry of old records, auto-closing of resolved tickets, removing files a crash left behind, and
regrouping recurring questions, the weekly report summaries, the database planner's statistics."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from auth import ratelimit, sessions
from kb.activity import ReaderActivity
from kb.indexing import IndexSync
from portal import db
from portal.accounts.flows import session_lifetime
from portal.channels import imap_poll
from portal.jobs import regrouping
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
    tasks: dict[str, Callable[[], Awaitable[object]]] = {
        "statistics": lambda: db.refresh_statistics(db.current_engine()),
        "mail": lambda: sender.deliver_due(transport, settings.mail_from),
        "escalation": lambda: escalate(settings),
        "purge": lambda: purge(settings),
        "sweep": lambda: sweep_orphans(settings.data_dir),
        "regroup": regrouping.when_due,
        # Each person's week is claimed in the database: one mail however many processes run this.
        "summary": lambda: weekly.send_due(settings),
    }
    if kb is not None:
        tasks["index"] = lambda: catch_up(kb)
    if activity is not None:
        tasks["activity"] = activity.flush
    if settings.imap_url:
        # Several processes may poll at once: each message's claim in the database lets one take it.
        tasks["inbound"] = lambda: imap_poll.fetch(settings)
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
