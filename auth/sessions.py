"""Signed-in browser sessions, kept in the database so every process and node sees them.

A session id is only ever created here, on sign-in; an id a browser brings that is not in the
table is never adopted (no session fixation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auth.recent import RecentRows
from auth.tables import AuthSession, User
from auth.tokens import hash_secret, new_secret

# Sliding expiry needs last_seen_at, but writing it on every request would make reads into writes.
TOUCH_EVERY = timedelta(minutes=1)
# Every signed-in request resolves its session: each process keeps what it read for a second, so a
# session ended or a user deactivated in another process stops working within that second (in this
# process at once). Bounded: the whole cache is dropped when full.
_RECENT = RecentRows(seconds=1.0, most=2000)  # token hash -> the row of _LOOKUP
# One plain join: Piccolo's prefetching query cost more to build in Python than to run.
_LOOKUP = (
    'SELECT u.*, s.id AS "session id", s.created_at AS "session created", s.last_seen_at AS "session seen" '
    'FROM auth_session s JOIN portal_user u ON u.id = s."user" WHERE s.token_hash = {}'
)
_BUILT = "built objects"  # (AuthSession, User) made from the row, kept beside it
_SESSION_FIELDS = ("session id", "session created", "session seen", _BUILT)


@dataclass(frozen=True, slots=True)
class Lifetime:
    idle: timedelta
    absolute: timedelta


async def start(user: User, *, ip: str = "", user_agent: str = "", replaces: str | None = None) -> str:
    """A fresh session for this user; the one the browser had before (if any) ends."""
    if replaces:
        await end(replaces)
    raw, token_hash = new_secret()
    await AuthSession(token_hash=token_hash, user=user.id, ip=ip[:64], user_agent=user_agent[:300]).save()
    return raw


async def resolve(raw: str | None, lifetime: Lifetime, now: datetime | None = None) -> tuple[AuthSession, User] | None:
    """The live session and its active user for a cookie value, or None."""
    if not raw or len(raw) > 100:
        return None
    now = now or datetime.now(UTC)
    token_hash = hash_secret(raw)
    row = _RECENT.get(token_hash)
    if row is None:
        rows = await AuthSession.raw(_LOOKUP, token_hash)
        if not rows:
            return None
        row = dict(rows[0])
        _RECENT.put(token_hash, row)
    created, seen = _aware(row["session created"]), _aware(row["session seen"])
    built = row.get(_BUILT)
    if built is None:
        # Built once per read of the row (Piccolo's constructor was a fifth of a signed-in request):
        # the same session's requests in this process share them until the row is read again.
        user = User(_exists_in_db=True, **{k: v for k, v in row.items() if k not in _SESSION_FIELDS})
        session = AuthSession(
            _exists_in_db=True, id=row["session id"], token_hash=token_hash, user=user.id, created_at=created
        )
        built = row[_BUILT] = (session, user)
    session, user = built
    if now - seen > lifetime.idle or now - created > lifetime.absolute or not user.is_active:
        _RECENT.drop(token_hash)
        await AuthSession.delete().where(AuthSession.id == row["session id"])
        return None
    if now - seen > TOUCH_EVERY:
        # Conditional, so concurrent requests in several processes write once per minute, not once each.
        stale = AuthSession.last_seen_at < now - TOUCH_EVERY
        await AuthSession.update({AuthSession.last_seen_at: now}).where((AuthSession.id == row["session id"]) & stale)
        row["session seen"] = seen = now
    session.last_seen_at = seen
    return session, user


def _aware(value: datetime | str) -> datetime:
    """SQLite hands raw rows' timestamps back as text; PostgreSQL as aware datetimes."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def forget(user_id: int | None = None, token_hash: str | None = None) -> None:
    """Drop this process's copies of a user's sessions (after any change to the user) or of one session;
    other processes' copies expire within a second."""
    if token_hash is not None:
        _RECENT.drop(token_hash)
    if user_id is not None:
        _RECENT.drop(where=lambda row: row["id"] == user_id)


async def end(raw: str) -> None:
    forget(token_hash=hash_secret(raw))
    await AuthSession.delete().where(AuthSession.token_hash == hash_secret(raw))


async def end_all(user_id: int) -> None:
    forget(user_id=user_id)
    await AuthSession.delete().where(AuthSession.user == user_id)


async def purge_expired(lifetime: Lifetime, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    gone = (
        await AuthSession.delete()
        .where((AuthSession.last_seen_at < now - lifetime.idle) | (AuthSession.created_at < now - lifetime.absolute))
        .returning(AuthSession.id)
    )
    return len(gone)
