"""Account flows that touch more than accounts: each writes its records and its mail in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from auth import links, ratelimit, sessions, users
from auth.errors import AccountError, InvalidInput, RateLimited
from auth.links import Purpose
from auth.tables import Role, User
from portal import logs
from portal.db import write_transaction
from portal.notify.outbox import enqueue
from portal.settings import Settings


@dataclass(frozen=True, slots=True)
class Client:
    """Who is asking: the address limits are keyed on, and what the session records."""

    ip: str
    user_agent: str = ""


def session_lifetime(settings: Settings) -> sessions.Lifetime:
    return sessions.Lifetime(
        idle=timedelta(minutes=settings.session_idle_minutes), absolute=timedelta(hours=settings.session_absolute_hours)
    )


def link(settings: Settings, path: str, token: str, **extra: str) -> str:
    return f"{settings.base_url}{path}?{urlencode({'token': token, **extra})}"


async def register(
    settings: Settings, client: Client, email: str, name: str, password: str, locale: str, time_zone: str = ""
) -> None:
    """Create an account and mail its confirmation link.

    An address already registered gets a "you already have an account" email instead, and the
    caller shows the same page either way: nobody learns from this form who has an account.
    """
    await ratelimit.hit(ratelimit.REGISTER_PER_ADDRESS, client.ip)
    email = users.normalize_email(email)
    # Checked before the address is looked up, so a bad zone reads the same for every address.
    time_zone = users.check_profile(users.Profile(name, locale, time_zone or settings.default_time_zone)).time_zone
    async with write_transaction():
        existing = await users.find_by_email(email)
        if existing is not None:
            await enqueue(
                existing.email,
                "account_exists",
                existing.locale,
                name=existing.name,
                link=f"{settings.base_url}/password/forgot",
                site_name=settings.site_name,
            )
            return
        user = await users.create_user(email, name, password=password, locale=locale, time_zone=time_zone)
        await _mail_verification(settings, user)


async def _mail_link(settings: Settings, user: User, purpose: Purpose, template: str, path: str, **extra: str) -> None:
    """Issue a one-time link (voiding older ones) and mail it, in the caller's transaction."""
    token = await links.issue(user, purpose)
    await enqueue(
        user.email,
        template,
        user.locale,
        name=user.name,
        link=link(settings, path, token, **extra),
        site_name=settings.site_name,
    )


async def _mail_verification(settings: Settings, user: User) -> None:
    await _mail_link(settings, user, Purpose.VERIFY, "verify_email", "/verify")


async def resend_verification(settings: Settings, client: Client, email: str) -> None:
    await ratelimit.hit(ratelimit.RESET_PER_ADDRESS, client.ip)
    await ratelimit.hit(ratelimit.RESET_PER_ACCOUNT, email.strip().lower())
    async with write_transaction():
        user = await users.find_by_email(email)
        if user is None or user.email_verified_at is not None or not user.is_active:
            return
        await _mail_verification(settings, user)


async def verify_email(token: str) -> User:
    async with write_transaction():
        user = await links.consume(token, Purpose.VERIFY)
        await users.mark_verified(user)
    return user


async def sign_in(client: Client, email: str, password: str, replaces: str | None) -> tuple[User, str]:
    """Check the credentials and open a new session; returns the user and the new session secret."""
    try:
        await ratelimit.hit(ratelimit.SIGN_IN_PER_ADDRESS, client.ip)
        await ratelimit.hit(ratelimit.SIGN_IN_PER_ACCOUNT, email.strip().lower()[:254])
    except RateLimited:
        logs.security_event("sign_in", "locked_out", client=client.ip)
        raise
    try:
        user = await users.authenticate(email, password)
    except AccountError as exc:
        logs.security_event("sign_in", "failure", client=client.ip, reason=exc.code)
        raise
    async with write_transaction():
        secret = await sessions.start(user, ip=client.ip, user_agent=client.user_agent, replaces=replaces)
        await users.record_login(user)
    logs.security_event("sign_in", "success", user_id=user.id, client=client.ip)
    return user, secret


async def request_password_reset(settings: Settings, client: Client, email: str) -> None:
    """Mail a reset link if the account exists; the caller answers the same either way."""
    try:
        await ratelimit.hit(ratelimit.RESET_PER_ADDRESS, client.ip)
        await ratelimit.hit(ratelimit.RESET_PER_ACCOUNT, email.strip().lower()[:254])
    except RateLimited:
        logs.security_event("password_reset_request", "locked_out", client=client.ip)
        raise
    async with write_transaction():
        user = await users.find_by_email(email)
        if user is None or not user.is_active:
            logs.security_event("password_reset_request", "no_account", client=client.ip)
            return
        await _mail_link(settings, user, Purpose.RESET, "password_reset", "/password/reset")
    logs.security_event("password_reset_request", "mailed", user_id=user.id, client=client.ip)


async def reset_password(
    client: Client, token: str, password: str, purpose: Purpose = Purpose.RESET
) -> tuple[User, str]:
    """Set the new password from a reset (or invitation) link: every other session of the user ends
    and this browser is signed in with a new one; returns the user and the new session secret."""
    async with write_transaction():
        user = await links.consume(token, purpose)
        await users.set_password(user, password)
        # Receiving the link proves the address, as the verification link would.
        await users.mark_verified(user)
        secret = await sessions.start(user, ip=client.ip, user_agent=client.user_agent)
        await users.record_login(user)
    return user, secret


async def create_account(
    settings: Settings,
    email: str,
    name: str,
    role: Role,
    organization_id: int | None = None,
    password: str | None = None,
    locale: str = "en",
) -> User:
    """An account made by an admin: verified; without a password, an invitation link is mailed."""
    async with write_transaction():
        email = users.normalize_email(email)
        if await users.email_taken(email):
            raise InvalidInput("email", "email_taken")
        if organization_id is not None and not await users.organization_exists(organization_id):
            raise InvalidInput("organization", "organization_unknown")
        user = await users.create_user(
            email,
            name,
            password=password,
            role=role,
            organization_id=organization_id,
            locale=locale,
            time_zone=settings.default_time_zone,
            verified=True,
        )
        if password is None:
            await _mail_link(settings, user, Purpose.INVITE, "invitation", "/password/reset", invite="1")
    return user
