"""Password hashing with Argon2id, always off the event loop."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # Argon2 hashes anything, but a megabyte "password" is an attack, not a secret

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such account" close to "wrong password".
_DUMMY_HASH = _hasher.hash("not a real password, only for equal timing")


class WeakPassword(ValueError):
    """The password breaks the rules; the message is the rule."""


def check_strength(password: str, email: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword("too_short")
    if len(password) > MAX_LENGTH:
        raise WeakPassword("too_long")
    if email and password.strip().lower() == email.strip().lower():
        raise WeakPassword("same_as_email")


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(verify)
