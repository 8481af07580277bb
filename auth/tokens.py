"""Random secrets handed to browsers and mailboxes, kept in the database only as hashes."""

import hashlib
import secrets


def new_secret() -> tuple[str, str]:
    """A fresh secret and the hash under which it is stored."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_secret(raw)


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
