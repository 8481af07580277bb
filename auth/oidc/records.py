"""The database side of provider sign-in: attempts under way, linked identities, links awaiting a password."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from auth.errors import NotFound
from auth.oidc.errors import OidcError
from auth.oidc.flow import Attempt, Identity
from auth.tables import OidcIdentity, OidcLogin, OidcPendingLink, User
from auth.tokens import hash_secret, new_secret

ATTEMPT_LIFETIME = timedelta(minutes=10)
LINK_LIFETIME = timedelta(minutes=10)


def identity_key(issuer: str, subject: str) -> str:
    return hashlib.sha256(f"{issuer}\n{subject}".encode("utf-8", "surrogatepass")).hexdigest()


def _usable(raw: str | None) -> bool:
    return bool(raw) and len(raw) <= 100


async def begin(provider: str, attempt: Attempt, browser_secret: str, next_path: str) -> None:
    """Remember an attempt until the browser holding `browser_secret` comes back with its state."""
    now = datetime.now(UTC)
    await OidcLogin.delete().where(OidcLogin.expires_at < now)
    await OidcLogin(
        state_hash=hash_secret(attempt.state),
        browser_hash=hash_secret(browser_secret),
        provider=provider,
        nonce=attempt.nonce,
        code_verifier=attempt.code_verifier,
        next_path=next_path,
        expires_at=now + ATTEMPT_LIFETIME,
    ).save()


async def claim(state: str) -> OidcLogin:
    """Use up the attempt this state names: a state is good for one callback, whatever comes of it."""
    if not _usable(state):
        raise OidcError("oidc_expired", "no state in the callback")
    login = await OidcLogin.objects().where(OidcLogin.state_hash == hash_secret(state)).first()
    if login is None:
        raise OidcError("oidc_expired", "unknown or used state")
    gone = await OidcLogin.delete().where(OidcLogin.id == login.id).returning(OidcLogin.id)
    if not gone:
        raise OidcError("oidc_expired", "the state was used by a racing callback")
    return login


def check_claimed(login: OidcLogin, provider: str, browser_secret: str | None) -> None:
    """The attempt must be this browser's, for this provider, and fresh.

    Checked after `claim` has committed: a state another browser brings (a login CSRF) spoils the
    attempt rather than leaving it for a second try.
    """
    if not _usable(browser_secret) or not hmac.compare_digest(login.browser_hash, hash_secret(browser_secret or "")):
        raise OidcError("oidc_expired", "the state belongs to another browser")
    if login.provider != provider:
        raise OidcError("oidc_expired", "the state belongs to another provider")
    if login.expires_at <= datetime.now(UTC):
        raise OidcError("oidc_expired", "the attempt expired")


async def find_identity(issuer: str, subject: str) -> OidcIdentity | None:
    return await OidcIdentity.objects().where(OidcIdentity.key == identity_key(issuer, subject)).first()


async def link(user: User, provider: str, identity: Identity) -> OidcIdentity:
    """Attach this provider account to the user; an account already attached to someone is refused."""
    if await find_identity(identity.issuer, identity.subject) is not None:
        raise OidcError("oidc_identity_taken", "the identity is linked to another user")
    record = OidcIdentity(
        key=identity_key(identity.issuer, identity.subject),
        user=user.id,
        provider=provider,
        issuer=identity.issuer,
        subject=identity.subject[:255],
        email=identity.email[:254],
        last_login_at=datetime.now(UTC),
    )
    await record.save()
    return record


async def seen(record: OidcIdentity, identity: Identity) -> None:
    """A returning sign-in: keep the email the provider shows now (the user's own email stays)."""
    record.email, record.last_login_at = identity.email[:254], datetime.now(UTC)
    await record.save([OidcIdentity.email, OidcIdentity.last_login_at])


async def identities_of(user_id: int) -> list[OidcIdentity]:
    return await OidcIdentity.objects().where(OidcIdentity.user == user_id).order_by(OidcIdentity.id)


async def remove(user: User, identity_id: int) -> None:
    """Unlink one of the user's identities, unless it is the last way they have to sign in."""
    mine = await identities_of(user.id)
    if identity_id not in {record.id for record in mine}:
        raise NotFound()
    if user.password_hash is None and len(mine) == 1:
        raise OidcError("oidc_last_method", "no password and no other identity")
    await OidcIdentity.delete().where((OidcIdentity.id == identity_id) & (OidcIdentity.user == user.id))


async def hold_link(user: User, provider: str, identity: Identity, next_path: str) -> str:
    """Park an identity until the owner of the matching account confirms with their password."""
    now = datetime.now(UTC)
    await OidcPendingLink.delete().where(OidcPendingLink.expires_at < now)
    raw, token_hash = new_secret()
    await OidcPendingLink(
        token_hash=token_hash,
        user=user.id,
        provider=provider,
        issuer=identity.issuer,
        subject=identity.subject[:255],
        email=identity.email[:254],
        next_path=next_path,
        expires_at=now + LINK_LIFETIME,
    ).save()
    return raw


async def pending_link(raw: str | None) -> OidcPendingLink:
    """The link a browser's cookie names, still waiting and fresh (not used up: to show the form)."""
    if not _usable(raw):
        raise OidcError("oidc_expired", "no pending link")
    pending = await OidcPendingLink.objects().where(OidcPendingLink.token_hash == hash_secret(raw or "")).first()
    if pending is None or pending.expires_at <= datetime.now(UTC):
        raise OidcError("oidc_expired", "unknown or expired pending link")
    return pending


async def claim_link(raw: str | None) -> OidcPendingLink:
    """Use the pending link up: a second confirmation, or one racing this one, fails."""
    pending = await pending_link(raw)
    gone = await OidcPendingLink.delete().where(OidcPendingLink.id == pending.id).returning(OidcPendingLink.id)
    if not gone:
        raise OidcError("oidc_expired", "the pending link was used")
    return pending


def identity_of(pending: OidcPendingLink) -> Identity:
    return Identity(pending.issuer, pending.subject, pending.email, email_verified=True, name="")
