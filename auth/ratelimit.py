"""Attempt counters in the database (sliding windows), so a limit holds across processes and nodes."""

from __future__ import annotations

import time
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
    """Count one attempt; raise RateLimited once the limit is passed.

    Sliding-window estimate: this window's attempts plus the previous window's, weighted by how
    much of it still lies within `window_s`; plain fixed windows would let twice the limit through
    around a window's edge.
    """
    now = time.time() if now is None else now
    window = int(now // rule.window_s)
    # Kept one window longer than it counts: the next window still reads it.
    expires = datetime.fromtimestamp((window + 2) * rule.window_s, UTC)
    rows = await RateLimitHit.raw(
        "INSERT INTO rate_limit_hit (bucket, hits, expires_at) VALUES ({}, 1, {}) "
        "ON CONFLICT (bucket) DO UPDATE SET hits = rate_limit_hit.hits + 1 RETURNING hits",
        _bucket(rule, subject, window),
        expires,
    )
    previous = (
        await RateLimitHit.select(RateLimitHit.hits)
        .where(RateLimitHit.bucket == _bucket(rule, subject, window - 1))
        .first()
    )
    elapsed = (now - window * rule.window_s) / rule.window_s
    estimate = rows[0]["hits"] + (previous["hits"] if previous else 0) * (1 - elapsed)
    if estimate > rule.limit:
        raise RateLimited(retry_after=max(1, int((window + 1) * rule.window_s - now)))


async def purge_expired(now: datetime | None = None) -> None:
    await RateLimitHit.delete().where(RateLimitHit.expires_at < (now or datetime.now(UTC)) - timedelta(seconds=1))
