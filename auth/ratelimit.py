"""Fixed-window attempt counters in the database, so a limit holds across processes and nodes."""

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


async def hit(rule: Rule, subject: str, now: float | None = None) -> None:
    """Count one attempt; raise RateLimited once the window's limit is passed."""
    now = time.time() if now is None else now
    window = int(now // rule.window_s)
    bucket = f"{rule.name}:{subject.lower()[:200]}:{window}"
    expires = datetime.fromtimestamp((window + 1) * rule.window_s, UTC)
    rows = await RateLimitHit.raw(
        "INSERT INTO rate_limit_hit (bucket, hits, expires_at) VALUES ({}, 1, {}) "
        "ON CONFLICT (bucket) DO UPDATE SET hits = rate_limit_hit.hits + 1 RETURNING hits",
        bucket,
        expires,
    )
    if rows[0]["hits"] > rule.limit:
        raise RateLimited(retry_after=max(1, int((window + 1) * rule.window_s - now)))


async def purge_expired(now: datetime | None = None) -> None:
    await RateLimitHit.delete().where(RateLimitHit.expires_at < (now or datetime.now(UTC)) - timedelta(seconds=1))
