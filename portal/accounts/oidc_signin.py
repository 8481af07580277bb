"""Signing in through an OpenID Connect provider: start, come back, create or link the account, open the session."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from auth import passwords, ratelimit, sessions, users
from auth.errors import InvalidCredentials, InvalidInput, NotFound
from auth.oidc import flow, records
from auth.oidc.config import Provider
from auth.oidc.directory import DIRECTORY, Directory
from auth.oidc.errors import OidcError
from auth.tables import User
from auth.tokens import new_secret
from portal import logs
from portal.accounts.flows import Client
from portal.accounts.landing import after_sign_in, safe_next
from portal.db import write_transaction
from portal.settings import Settings


@dataclass(frozen=True, slots=True)
class Button:
    name: str
    label: str
    available: bool


@dataclass(frozen=True, slots=True)
class Callback:
    """What the provider put in the query of its redirect back to us."""

    code: str = ""
    state: str = ""
    error: str = ""
    iss: str = ""


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    secret: str  # the new session's cookie value
    landing: str  # where the browser goes now, as after a password sign-in


@dataclass(frozen=True, slots=True)
class LinkNeeded:
    secret: str  # names the pending link in the browser's cookie until the password confirms it


@dataclass(frozen=True, slots=True)
class LinkedIdentity:
    id: int
    label: str
    email: str


def provider_named(settings: Settings, name: str) -> Provider:
    for provider in settings.oidc_providers:
        if provider.name == name:
            return provider
    raise NotFound()


def redirect_uri(settings: Settings, provider: Provider) -> str:
    return f"{settings.base_url}/auth/oidc/{provider.name}/callback"


def label_of(settings: Settings, issuer: str, fallback: str) -> str:
    return next((p.label for p in settings.oidc_providers if p.issuer == issuer), fallback)


_looking: set[asyncio.Task] = set()


def buttons(settings: Settings, directory: Directory = DIRECTORY) -> list[Button]:
    """The sign-in page's provider buttons, marked unavailable when the last look at a provider failed.

    The page never waits on a provider (one that hangs must not slow password sign-in): a provider
    not looked at lately is looked at in the background, for the next visitor's page.
    """
    for provider in settings.oidc_providers:
        if directory.needs_look(provider) and not any(task.get_name() == provider.issuer for task in _looking):
            try:
                task = asyncio.get_running_loop().create_task(_look(provider, directory), name=provider.issuer)
            except RuntimeError:  # no event loop: rendering outside a request
                break
            _looking.add(task)
            task.add_done_callback(_looking.discard)
    return [Button(p.name, p.label, not directory.known_down(p)) for p in settings.oidc_providers]


async def _look(provider: Provider, directory: Directory) -> None:
    try:
        await directory.metadata(provider)
    except OidcError:
        pass  # remembered by the directory; the page shows it


async def start(
    settings: Settings, name: str, next_path: str, browser_secret: str | None, directory: Directory = DIRECTORY
) -> tuple[str, str]:
    """Where to send the browser, and the secret its cookie must carry back; the attempt is stored with
    the page to come back to (this site's paths only)."""
    provider = provider_named(settings, name)
    metadata = await directory.metadata(provider)
    # The browser's secret is kept if it has one, so that two tabs signing in at once both come back.
    if not browser_secret or len(browser_secret) > 100:
        browser_secret, _hash = new_secret()
    attempt = flow.Attempt.new()
    async with write_transaction():
        await records.begin(provider.name, attempt, browser_secret, safe_next(next_path))
    return flow.authorization_url(provider, metadata, redirect_uri(settings, provider), attempt), browser_secret


async def come_back(
    settings: Settings,
    client: Client,
    name: str,
    callback: Callback,
    browser_secret: str | None,
    replaces: str | None,
    directory: Directory = DIRECTORY,
) -> SignedIn | LinkNeeded:
    """Finish a sign-in the provider sent back: a session, a link to confirm, or an OidcError.
    Either way a security event says how it ended (the provider's name and a code, never a token)."""
    try:
        provider = provider_named(settings, name)
        async with write_transaction():
            attempt = await records.claim(callback.state)
        records.check_claimed(attempt, provider.name, browser_secret)
        if callback.error:
            raise OidcError("oidc_denied" if callback.error == "access_denied" else "oidc_failed", callback.error)
        # RFC 9207: a response naming another issuer comes from a different provider (a mix-up attack).
        if callback.iss and callback.iss != provider.issuer:
            raise OidcError(reason=f"the response names issuer {callback.iss!r}")
        if not callback.code:
            raise OidcError(reason="no code in the callback")
        identity = await flow.finish(
            provider,
            directory,
            code=callback.code,
            code_verifier=attempt.code_verifier,
            nonce=attempt.nonce,
            redirect_uri=redirect_uri(settings, provider),
        )
        outcome = await _sign_in_as(provider, client, identity, attempt.next_path, replaces)
    except OidcError as exc:
        logs.security_event("sign_in", "failure", client=client.ip, method="oidc", provider=name, reason=exc.code)
        raise
    if isinstance(outcome, SignedIn):
        logs.security_event(
            "sign_in", "success", user_id=outcome.user.id, client=client.ip, method="oidc", provider=name
        )
    else:
        logs.security_event("sign_in", "link_password_asked", client=client.ip, method="oidc", provider=name)
    return outcome


async def _sign_in_as(
    provider: Provider, client: Client, identity: flow.Identity, next_path: str, replaces: str | None
) -> SignedIn | LinkNeeded:
    async with write_transaction():
        known = await records.find_identity(identity.issuer, identity.subject)
        if known is not None:
            user = await users.get(known.user)
            await records.seen(known, identity)
        else:
            email = _email_of(identity)
            user = await users.find_by_email(email)
            if user is not None:
                return await _offer_link(provider, user, identity, next_path)
            user = await users.create_user(email, _name_of(identity, email), verified=True)
            await records.link(user, provider.name, identity)
        return await _open_session(user, client, next_path, replaces)


def _email_of(identity: flow.Identity) -> str:
    if not identity.email:
        raise OidcError("oidc_no_email", "the provider shared no email")
    try:
        email = users.normalize_email(identity.email)
    except InvalidInput as exc:
        raise OidcError("oidc_no_email", "the provider's email is not usable") from exc
    # An address the provider has not verified proves nothing: it neither makes nor joins an account.
    if not identity.email_verified:
        raise OidcError("oidc_unverified_email", "the provider has not verified the email")
    return email


def _name_of(identity: flow.Identity, email: str) -> str:
    try:
        return users.clean_name(identity.name)
    except InvalidInput:
        return email.split("@")[0]


async def _offer_link(provider: Provider, user: User, identity: flow.Identity, next_path: str) -> LinkNeeded:
    # Never merged silently: the account's owner proves it with their password first. An account
    # without a password (invited, or provider-only) cannot prove it that way.
    if user.password_hash is None or not user.is_active:
        raise OidcError("oidc_link_impossible", "the matching account has no password")
    return LinkNeeded(await records.hold_link(user, provider.name, identity, next_path))


async def _open_session(user: User, client: Client, next_path: str, replaces: str | None) -> SignedIn:
    if not user.is_active:
        raise OidcError("oidc_account_inactive", "the account is deactivated")
    # A new session id on every sign-in, as with a password (no session fixation).
    secret = await sessions.start(user, ip=client.ip, user_agent=client.user_agent, replaces=replaces)
    await users.record_login(user)
    return SignedIn(user, secret, after_sign_in(user.role, next_path))


async def link_to_confirm(settings: Settings, raw: str | None) -> tuple[str, str]:
    """The email and provider label a pending link is for, to ask for the password."""
    pending = await records.pending_link(raw)
    return pending.email, label_of(settings, pending.issuer, pending.provider)


async def confirm_link(client: Client, raw: str | None, password: str, replaces: str | None) -> SignedIn:
    """The account's password links the waiting identity and signs in; a wrong one leaves it waiting."""
    pending = await records.pending_link(raw)
    await ratelimit.hit(ratelimit.SIGN_IN_PER_ADDRESS, client.ip)
    await ratelimit.hit(ratelimit.SIGN_IN_PER_ACCOUNT, pending.email)
    user = await users.get(pending.user)
    if not await passwords.verify_password(user.password_hash, password):
        logs.security_event("sign_in", "failure", user_id=user.id, client=client.ip, method="oidc_link")
        raise InvalidCredentials()
    async with write_transaction():
        pending = await records.claim_link(raw)
        identity = records.identity_of(pending)
        await records.link(user, pending.provider, identity)
        # The provider vouched for this address and the password proved the account: it is confirmed.
        await users.mark_verified(user)
        signed_in = await _open_session(user, client, pending.next_path, replaces)
    logs.security_event("sign_in", "success", user_id=user.id, client=client.ip, method="oidc_link")
    return signed_in


async def linked_identities(settings: Settings, user: User) -> list[LinkedIdentity]:
    return [
        LinkedIdentity(record.id, label_of(settings, record.issuer, record.provider), record.email)
        for record in await records.identities_of(user.id)
    ]


async def remove_identity(user: User, identity_id: int) -> None:
    async with write_transaction():
        # Re-read inside the transaction: a password set or an identity removed meanwhile counts.
        await records.remove(await users.get(user.id), identity_id)
