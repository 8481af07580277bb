"""One-time links (email verification, password reset, invitation): hashed, expiring, single use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from auth.errors import InvalidLink
from auth.tables import OneTimeToken, User
from auth.tokens import hash_secret, new_secret


class Purpose(StrEnum):
    VERIFY = "verify"
    RESET = "reset"
    INVITE = "invite"


LIFETIME = {
    Purpose.VERIFY: timedelta(hours=24),
    Purpose.RESET: timedelta(hours=1),
    Purpose.INVITE: timedelta(days=3),
}


async def issue(user: User, purpose: Purpose) -> str:
    """A new link secret; every older unused link of the same purpose stops working."""
    await OneTimeToken.delete().where(
        (OneTimeToken.user == user.id) & (OneTimeToken.purpose == purpose.value) & OneTimeToken.used_at.is_null()
    )
    raw, token_hash = new_secret()
    await OneTimeToken(
        token_hash=token_hash,
        user=user.id,
        purpose=purpose.value,
        expires_at=datetime.now(UTC) + LIFETIME[purpose],
    ).save()
    return raw


async def peek(raw: str, purpose: Purpose, now: datetime | None = None) -> User:
    """The user a still-valid link belongs to, without using it up (to show the form)."""
    token = await _valid(raw, purpose, now or datetime.now(UTC))
    return await User.objects().where(User.id == token.user).first()


async def consume(raw: str, purpose: Purpose, now: datetime | None = None) -> User:
    """Use the link up: a second use, or a use racing this one, fails."""
    now = now or datetime.now(UTC)
    token = await _valid(raw, purpose, now)
    claimed = (
        await OneTimeToken.update({OneTimeToken.used_at: now})
        .where((OneTimeToken.id == token.id) & OneTimeToken.used_at.is_null())
        .returning(OneTimeToken.id)
    )
    if not claimed:
        raise InvalidLink()
    return await User.objects().where(User.id == token.user).first()


async def _valid(raw: str, purpose: Purpose, now: datetime) -> OneTimeToken:
    if not raw or len(raw) > 100:
        raise InvalidLink()
    token = (
        await OneTimeToken.objects()
        .where((OneTimeToken.token_hash == hash_secret(raw)) & (OneTimeToken.purpose == purpose.value))
        .first()
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise InvalidLink()
    return token
