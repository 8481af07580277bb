"""Leases on periodic jobs: of all the processes (and machines) that would run a job now, the one whose
claim changes the job's row runs it; the others skip it until it is next due."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

from portal.jobs.tables import Lease

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
