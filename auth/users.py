"""Users: creation, lookup, credentials, verification, profile and role changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import available_timezones

from piccolo.columns.combination import WhereRaw

from auth import passwords, sessions
from auth.errors import EmailNotVerified, InvalidCredentials, InvalidInput, NotFound
from auth.tables import OneTimeToken, Organization, Role, User

# Which languages there are is the product's to say; an account stores any two-letter code it is given.
_LOCALE = re.compile(r"^[a-z]{2}$")
# Deliberately plain: one @, a dot in the domain, no spaces or control characters (no header injection).
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
_TIME_ZONES = frozenset(available_timezones())


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    locale: str
    time_zone: str


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput("email", "invalid_email")
    return email


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("name", "name_required")
    if len(name) > 200:
        raise InvalidInput("name", "name_too_long")
    return name


def check_profile(profile: Profile) -> Profile:
    if not _LOCALE.match(profile.locale or ""):
        raise InvalidInput("locale", "invalid_locale")
    if profile.time_zone not in _TIME_ZONES:
        raise InvalidInput("time_zone", "invalid_time_zone")
    return Profile(clean_name(profile.name), profile.locale, profile.time_zone)


def time_zones() -> list[str]:
    return sorted(_TIME_ZONES)


async def find_by_email(email: str) -> User | None:
    try:
        email = normalize_email(email)
    except InvalidInput:
        return None
    return await User.objects().where(User.email == email).first()


async def get(user_id: int) -> User:
    user = await User.objects().where(User.id == user_id).first()
    if user is None:
        raise NotFound()
    return user


async def email_taken(email: str) -> bool:
    return await User.exists().where(User.email == email)


async def create_user(
    email: str,
    name: str,
    *,
    password: str | None = None,
    role: Role = Role.CUSTOMER,
    organization_id: int | None = None,
    locale: str = "en",
    time_zone: str = "UTC",
    verified: bool = False,
) -> User:
    """Create a user; the caller checked that the email is free inside its transaction."""
    email = normalize_email(email)
    profile = check_profile(Profile(name, locale, time_zone))
    password_hash = None
    if password is not None:
        try:
            passwords.check_strength(password, email)
        except passwords.WeakPassword as exc:
            raise InvalidInput("password", f"password_{exc}") from exc
        password_hash = await passwords.hash_password(password)
    user = User(
        email=email,
        name=profile.name,
        role=Role(role).value,
        organization=organization_id,
        locale=profile.locale,
        time_zone=profile.time_zone,
        password_hash=password_hash,
        email_verified_at=datetime.now(UTC) if verified else None,
    )
    await user.save()
    return user


async def authenticate(email: str, password: str) -> User:
    """The user these credentials belong to; the same error whatever was wrong."""
    user = await find_by_email(email)
    ok = await passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise InvalidCredentials()
    if user.email_verified_at is None:
        raise EmailNotVerified()
    return user


async def set_password(user: User, password: str) -> None:
    """A new password ends every session and every outstanding reset link."""
    try:
        passwords.check_strength(password, user.email)
    except passwords.WeakPassword as exc:
        raise InvalidInput("password", f"password_{exc}") from exc
    user.password_hash = await passwords.hash_password(password)
    await user.save([User.password_hash])
    await sessions.end_all(user.id)
    await OneTimeToken.delete().where(
        (OneTimeToken.user == user.id) & (OneTimeToken.purpose.is_in(["reset", "invite"]))
    )


async def mark_verified(user: User) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = datetime.now(UTC)
        await user.save([User.email_verified_at])


async def record_login(user: User) -> None:
    user.last_login_at = datetime.now(UTC)
    await user.save([User.last_login_at])


async def update_profile(user: User, profile: Profile) -> User:
    profile = check_profile(profile)
    user.name, user.locale, user.time_zone = profile.name, profile.locale, profile.time_zone
    await user.save([User.name, User.locale, User.time_zone])
    sessions.forget(user_id=user.id)
    return user


async def set_role_and_status(user: User, role: Role, organization_id: int | None, active: bool) -> User:
    user.role = Role(role).value
    user.organization = organization_id
    user.is_active = active
    await user.save([User.role, User.organization, User.is_active])
    sessions.forget(user_id=user.id)
    if not active:
        await sessions.end_all(user.id)
    return user


async def list_users(query: str = "", limit: int = 200) -> list[dict]:
    select = (
        User.select(
            User.id,
            User.email,
            User.name,
            User.role,
            User.is_active,
            User.email_verified_at,
            User.organization.id.as_alias("organization_id"),
            User.organization.name.as_alias("organization_name"),
        )
        .order_by(User.email)
        .limit(limit)
    )
    if query:
        pattern = "%" + query.lower().replace("%", "").replace("_", "") + "%"
        select = select.where(User.email.like(pattern) | WhereRaw("LOWER(portal_user.name) LIKE {}", pattern))
    return await select


async def organization_exists(organization_id: int) -> bool:
    return await Organization.exists().where(Organization.id == organization_id)
