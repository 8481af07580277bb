"""A signed-in user's own account: their profile and their password."""

from __future__ import annotations

from auth import passwords, sessions, users
from auth.errors import InvalidInput
from auth.tables import User
from auth.users import Profile
from portal import i18n
from portal.accounts.flows import Client
from portal.db import write_transaction


async def update_profile(user: User, name: str, locale: str, time_zone: str) -> User:
    """Name, language (one the portal speaks) and time zone; InvalidInput names the field at fault."""
    if locale not in i18n.LOCALES:
        raise InvalidInput("locale", "invalid_locale")
    return await users.update_profile(user, Profile(name, locale, time_zone))


async def choose_language(user: User, locale: str) -> None:
    """The language switcher, signed in: kept on the account, and this request's next page already in it."""
    if user.locale != locale:
        await update_profile(user, user.name, locale, user.time_zone)


async def change_password(user: User, client: Client, current: str, password: str, repeated: str) -> str:
    """A new password once the current one is confirmed: every other browser is signed out, and this one
    gets a fresh session, whose secret is returned. InvalidInput names the field at fault."""
    if not await passwords.verify_password(user.password_hash, current):
        raise InvalidInput("current", "invalid_credentials")
    if password != repeated:
        raise InvalidInput("password2", "passwords_differ")
    async with write_transaction():
        await users.set_password(user, password)
        return await sessions.start(user, ip=client.ip, user_agent=client.user_agent)
