"""Background work every portal process runs: mail, the search index's catch-up, written reader activity,
expiry of old records, auto-closing of resolved tickets, removing files a crash left behind, and
regrouping recurring questions, the weekly report summaries, the database planner's statistics."""

from __future__ import annotations

import asyncio
import logging
import time

from auth import ratelimit, sessions
from kb.activity import ReaderActivity
from kb.indexing import IndexSync
from portal import db
from portal.accounts.flows import session_lifetime
from portal.channels import imap_poll
from portal.insights import recurring
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
REGROUP_EVERY_S = 300.0  # new and resolved tickets join their groups within minutes
INBOUND_EVERY_S = 60.0  # PORTAL_IMAP_URL is polled once a minute
SUMMARY_EVERY_S = 900.0  # the weekly summaries leave within a quarter of an hour of the week's end
# At start-up, then daily: how the tickets spread over statuses, agents and groups changes slowly, and
# gathering (a fraction of a second per 100,000 tickets) holds up writers meanwhile.
STATISTICS_EVERY_S = 86_400.0


async def run(settings: Settings, kb: IndexSync | None = None, activity: ReaderActivity | None = None) -> None:
    """Until cancelled; several processes may run it at once (claims keep mail single-sent)."""
    transport = sender.transport_for(settings.smtp_url, settings.maildir)
    last_purge = last_regroup = last_sweep = last_escalation = last_inbound = last_summary = 0.0
    last_statistics = -STATISTICS_EVERY_S  # due at once, however short the machine's uptime
    while True:
        try:
            if time.monotonic() - last_statistics > STATISTICS_EVERY_S:
                last_statistics = time.monotonic()
                await db.refresh_statistics(db.current_engine())
            await sender.deliver_due(transport, settings.mail_from)
            if kb is not None:
                await catch_up(kb)
            if activity is not None:
                await activity.flush()
            if time.monotonic() - last_escalation > ESCALATE_EVERY_S:
                last_escalation = time.monotonic()
                await escalate(settings)
            if time.monotonic() - last_purge > PURGE_EVERY_S:
                last_purge = time.monotonic()
                await sessions.purge_expired(session_lifetime(settings))
                await ratelimit.purge_expired()
                await close_resolved(settings)
            # Orphan files come only from crashes: an hourly look (every file's age, every old
            # file's row) is plenty.
            if time.monotonic() - last_sweep > ORPHAN_AFTER_S:
                last_sweep = time.monotonic()
                await sweep_orphans(settings.data_dir)
            if time.monotonic() - last_regroup > REGROUP_EVERY_S:
                last_regroup = time.monotonic()
                if await recurring.stale():
                    await recurring.rebuild()
            if time.monotonic() - last_summary > SUMMARY_EVERY_S:
                last_summary = time.monotonic()
                # Each person's week is claimed in the database: one mail however many processes run this.
                await weekly.send_due(settings)
            if settings.imap_url and time.monotonic() - last_inbound > INBOUND_EVERY_S:
                last_inbound = time.monotonic()
                # Several processes may poll at once: each message's claim in the database lets one take it.
                await imap_poll.fetch(settings)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if db.OUTAGE.report(exc) is None:  # an outage is logged once, not at every pass
                log.exception("background pass failed")
        await asyncio.sleep(MAIL_EVERY_S)


async def escalate(settings: Settings) -> int:
    """Every escalation that is due, a batch at a time (each claimed in the database)."""
    total = 0
    for _batch in range(20):  # a backlog after downtime drains over a few passes, not in one long one
        made = await escalation.run_pass(settings)
        total += made
        if not made:
            break
    return total
