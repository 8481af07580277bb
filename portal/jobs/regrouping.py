"""Rebuilding the recurring-question groups under a lease: one process a period rebuilds them, however
many processes (and machines) run the background pass; two rebuilds never run at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from portal.insights import recurring
from portal.jobs import leases

EVERY = timedelta(minutes=5)  # new and resolved tickets join their groups within minutes
LEASE = "regroup"
# A rebuild unfinished by then is taken for dead and another process may start one (a year's
# tickets take seconds).
RUNNING = timedelta(minutes=15)


class RebuildRunning(RuntimeError):
    """Another process is rebuilding the groups right now."""


async def when_due(now: datetime | None = None) -> bool:
    """The background pass's rebuild: only when this period's is still to do and tickets changed since
    the last one; returns whether this process rebuilt the groups."""

    async def rebuild_if_stale() -> bool:
        if not await recurring.stale():
            return False
        await recurring.rebuild()
        return True

    return bool(await leases.once(LEASE, EVERY, RUNNING, rebuild_if_stale, now))


async def rebuild_now(progress: Callable[[int, int], None] | None = None) -> recurring.RunResult:
    """A rebuild asked for by hand: at once, unless another process is rebuilding (RebuildRunning);
    the background passes then leave the groups alone for a period."""
    started = datetime.now(UTC)
    holder = await leases.claim(LEASE, RUNNING, started, early=True)
    if holder is None:
        raise RebuildRunning(LEASE)
    try:
        return await recurring.rebuild(progress)
    finally:
        await leases.release(LEASE, holder, datetime.now(UTC) + EVERY)
