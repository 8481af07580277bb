"""Leases on periodic jobs: of all the processes (and machines) that would run a job now, the one whose
claim changes the job's row runs it; the others skip it until it is next due."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from portal.jobs.tables import Lease

T = TypeVar("T")

# One statement for both a job never run (its row is made) and one run before (its row is taken
# when due, or when idle for a caller that may run it early). The condition is the lock: of two
# claimers, the second finds the row changed and gets nothing back.
_CLAIM = (
    "INSERT INTO job_lease (name, holder, expires_at) VALUES ({}, {}, {}) "
    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
    "WHERE job_lease.expires_at <= {} OR (job_lease.holder = '' AND {}) RETURNING holder"
)
_RELEASE = "UPDATE job_lease SET holder = '', expires_at = {} WHERE name = {} AND holder = {}"


async def claim(name: str, running: timedelta, now: datetime | None = None, *, early: bool = False) -> str | None:
    """This run's token when it may run the job now, else None. A holder that has not released the
    job after `running` is taken for dead. `early`: run it before it is due, if nobody runs it now."""
    now = now or datetime.now(UTC)
    holder = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
    won = await Lease.raw(_CLAIM, name, holder, now + running, now, early)
    return holder if won else None


async def release(name: str, holder: str, next_due: datetime) -> None:
    """The run is over: the job is next due at `next_due` (for any process)."""
    await Lease.raw(_RELEASE, next_due, name, holder)


async def once(
    name: str, every: timedelta, running: timedelta, job: Callable[[], Awaitable[T]], now: datetime | None = None
) -> T | None:
    """`job()` if this process may run the job now (then it is next due `every` later, for any process),
    else None. A job that fails is due again at once, so the next pass anywhere tries it again; one whose
    process dies is taken for dead after `running`."""
    now = now or datetime.now(UTC)
    holder = await claim(name, running, now)
    if holder is None:
        return None
    try:
        result = await job()
    except BaseException:
        await release(name, holder, now)
        raise
    await release(name, holder, now + every)
    return result
