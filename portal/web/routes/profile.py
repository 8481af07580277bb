"""The signed-in user's own profile: name, language, time zone, password."""

from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from auth import accounts, passwords, sessions
from auth.accounts import Profile
from auth.errors import InvalidInput
from auth.tables import User
from portal import i18n, oidc_signin
from portal.db import write_transaction
from portal.settings import Settings
from portal.web.guards import SIGNED_IN
from portal.web.session import language_cookie, session_cookie

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class ProfileForm(msgspec.Struct):
    name: str = ""
    locale: str = "en"
    time_zone: str = "UTC"


class PasswordForm(msgspec.Struct):
    current: str = ""
    password: str = ""
    password2: str = ""


def _page(viewer: User, status: int = 200, **context: object) -> Template:
    return Template(
        template_name="profile.html",
        status_code=status,
        context={"time_zones": accounts.time_zones(), "form": viewer, **context},
    )


@get("/profile", opt=SIGNED_IN)
async def profile_page(
    viewer: NamedDependency[User], settings: NamedDependency[Settings], done: FromQuery[str | None] = None
) -> Template:
    return _page(viewer, done=done, identities=await oidc_signin.linked_identities(settings, viewer))


@post("/profile", opt=SIGNED_IN)
async def save_profile(
    data: Annotated[ProfileForm, FORM], viewer: NamedDependency[User], settings: NamedDependency[Settings]
) -> Response:
    try:
        await accounts.update_profile(viewer, Profile(data.name, data.locale, data.time_zone))
    except InvalidInput as exc:
        return _page(viewer, 400, error=exc.code, bad=exc.field, form=data)
    i18n.set_locale(viewer.locale)
    return Redirect(path="/profile?done=profile_saved", cookies=[language_cookie(settings, viewer.locale)])


@post("/profile/password", opt=SIGNED_IN)
async def change_password(
    request: Request,
    data: Annotated[PasswordForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    try:
        if not await passwords.verify_password(viewer.password_hash, data.current):
            raise InvalidInput("current", "invalid_credentials")
        if data.password != data.password2:
            raise InvalidInput("password2", "passwords_differ")
        async with write_transaction():
            # Every other browser is signed out; this one gets a fresh session.
            await accounts.set_password(viewer, data.password)
            secret = await sessions.start(viewer, user_agent=request.headers.get("user-agent", ""))
    except InvalidInput as exc:
        return _page(viewer, 400, password_error=exc.code)
    return Redirect(path="/profile?done=password_changed", cookies=[session_cookie(settings, secret)])


ROUTES = [profile_page, save_profile, change_password]
