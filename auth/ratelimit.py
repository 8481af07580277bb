"""Attempt counters in the database (sliding windows), so a limit holds across processes and nodes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auth.errors import RateLimited
from auth.tables import RateLimitHit


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    limit: int
    window_s: int


SIGN_IN_PER_ACCOUNT = Rule("signin-account", 10, 15 * 60)
SIGN_IN_PER_ADDRESS = Rule("signin-address", 30, 15 * 60)
REGISTER_PER_ADDRESS = Rule("register-address", 10, 60 * 60)
RESET_PER_ACCOUNT = Rule("reset-account", 5, 60 * 60)
RESET_PER_ADDRESS = Rule("reset-address", 20, 60 * 60)


def _bucket(rule: Rule, subject: str, window: int) -> str:
    return f"{rule.name}:{subject.lower()[:200]}:{window}"


async def hit(rule: Rule, subject: str, now: float | None = None) -> None:
    """Count one attempt; raise RateLimited once the limit is passed."""
    await hit_all([(rule, subject)], now)


async def hit_all(attempts: Sequence[tuple[Rule, str]], now: float | None = None, costs: Sequence[int] = ()) -> None:
    """Count one attempt against each (rule, subject), in one database round trip; raise RateLimited
    (with the longest wait) once any limit is passed. Every attempt is counted, refused or not.
    `costs` (default 1 each) counts several attempts at once: a process claiming a share of a limit.

    Sliding-window estimate: this window's attempts plus the previous window's, weighted by how
    much of it still lies within `window_s`; plain fixed windows would let twice the limit through
    around a window's edge.
    """
    now = time.time() if now is None else now
    buckets: dict[str, tuple[Rule, int, int]] = {}
    for n, (rule, subject) in enumerate(attempts):
        window = int(now // rule.window_s)
        buckets.setdefault(_bucket(rule, subject, window), (rule, window, costs[n] if costs else 1))
    if not buckets:
        return
    # Sorted, so that concurrent statements lock shared rows in one order (no deadlock on PostgreSQL).
    ordered = sorted(buckets.items())
    # Placeholders only: the statement's text depends on nothing but how many buckets there are.
    values = ", ".join(["({}, {}, {})"] * len(ordered))
    previous = " ".join(["WHEN {} THEN (SELECT p.hits FROM rate_limit_hit AS p WHERE p.bucket = {})"] * len(ordered))
    params: list = []
    for bucket, (rule, window, cost) in ordered:
        # Kept one window longer than it counts: the next window still reads it.
        params += [bucket, cost, datetime.fromtimestamp((window + 2) * rule.window_s, UTC)]
    for bucket, (_rule, window, _cost) in ordered:
        params += [bucket, bucket.rpartition(":")[0] + f":{window - 1}"]
    sql = (
        f"INSERT INTO rate_limit_hit (bucket, hits, expires_at) VALUES {values} "  # noqa: S608
        "ON CONFLICT (bucket) DO UPDATE SET hits = rate_limit_hit.hits + excluded.hits "
        f"RETURNING bucket, hits, CASE bucket {previous} END AS previous"
    )
    rows = await RateLimitHit.raw(sql, *params)
    wait = 0
    for row in rows:
        rule, window, _cost = buckets[row["bucket"]]
        elapsed = (now - window * rule.window_s) / rule.window_s
        estimate = row["hits"] + (row["previous"] or 0) * (1 - elapsed)
        if estimate > rule.limit:
            wait = max(wait, int((window + 1) * rule.window_s - now), 1)
    if wait:
        raise RateLimited(retry_after=wait)


async def purge_expired(now: datetime | None = None) -> None:
    await RateLimitHit.delete().where(RateLimitHit.expires_at < (now or datetime.now(UTC)) - timedelta(seconds=1))
