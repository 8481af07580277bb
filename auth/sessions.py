"""Signed-in browser sessions, kept in the database so every process and node sees them.

A session id is only ever created here, on sign-in; an id a browser brings that is not in the
table is never adopted (no session fixation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auth.tables import AuthSession, User
from auth.tokens import hash_secret, new_secret

# Sliding expiry needs last_seen_at, but writing it on every request would make reads into writes.
TOUCH_EVERY = timedelta(minutes=1)


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
    session = await AuthSession.objects(AuthSession.user).where(AuthSession.token_hash == hash_secret(raw)).first()
    if session is None:
        return None
    user = session.user
    expired = now - session.last_seen_at > lifetime.idle or now - session.created_at > lifetime.absolute
    if expired or not user.is_active:
        await AuthSession.delete().where(AuthSession.id == session.id)
        return None
    if now - session.last_seen_at > TOUCH_EVERY:
        await AuthSession.update({AuthSession.last_seen_at: now}).where(AuthSession.id == session.id)
    return session, user


async def end(raw: str) -> None:
    await AuthSession.delete().where(AuthSession.token_hash == hash_secret(raw))


async def end_all(user_id: int) -> None:
    await AuthSession.delete().where(AuthSession.user == user_id)


async def purge_expired(lifetime: Lifetime, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    gone = (
        await AuthSession.delete()
        .where((AuthSession.last_seen_at < now - lifetime.idle) | (AuthSession.created_at < now - lifetime.absolute))
        .returning(AuthSession.id)
    )
    return len(gone)
