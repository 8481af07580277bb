"""The signed-in user's own profile: name, language, time zone, password, API tokens."""

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from auth import api_tokens, users
from auth.errors import InvalidInput
from auth.tables import User
from portal import i18n, logs
from portal.accounts import oidc_signin, personal
from portal.accounts.flows import Client
from portal.settings import Settings
from portal.web.guards import SIGNED_IN
from portal.web.session import language_cookie, session_cookie

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class ProfileForm(msgspec.Struct):
    name: str = ""
    locale: str = "en"
    time_zone: str = "UTC"


class TokenForm(msgspec.Struct):
    token_name: str = ""


class PasswordForm(msgspec.Struct):
    current: str = ""
    password: str = ""
    password2: str = ""


def _page(viewer: User, status: int = 200, **context: object) -> Template:
    return Template(
        template_name="profile.html",
        status_code=status,
        context={"time_zones": users.time_zones(), "form": viewer, **context},
    )


async def _full_page(viewer: User, settings: Settings, status: int = 200, **context: object) -> Template:
    return _page(
        viewer,
        status,
        identities=await oidc_signin.linked_identities(settings, viewer),
        tokens=await api_tokens.list_for(viewer),
        **context,
    )


@get("/profile", opt=SIGNED_IN)
async def profile_page(
    viewer: NamedDependency[User], settings: NamedDependency[Settings], done: FromQuery[str | None] = None
) -> Template:
    return await _full_page(viewer, settings, done=done)


@post("/profile", opt=SIGNED_IN)
async def save_profile(
    data: Annotated[ProfileForm, FORM], viewer: NamedDependency[User], settings: NamedDependency[Settings]
) -> Response:
    try:
        await personal.update_profile(viewer, data.name, data.locale, data.time_zone)
    except InvalidInput as exc:
        return _page(viewer, 400, error=exc.code, bad=exc.field, form=data)
    i18n.set_locale(viewer.locale)
    return Redirect(path="/profile?done=profile_saved", cookies=[language_cookie(settings, viewer.locale)])


@post("/profile/password", opt=SIGNED_IN)
async def change_password(
    data: Annotated[PasswordForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
    client: NamedDependency[Client],
) -> Response:
    try:
        secret = await personal.change_password(viewer, client, data.current, data.password, data.password2)
    except InvalidInput as exc:
        return _page(viewer, 400, password_error=exc.code)
    return Redirect(path="/profile?done=password_changed", cookies=[session_cookie(settings, secret)])


@post("/profile/tokens", opt=SIGNED_IN)
async def create_token(
    data: Annotated[TokenForm, FORM], viewer: NamedDependency[User], settings: NamedDependency[Settings]
) -> Template:
    """The new token is on this answer only (not behind a redirect): it is never stored readable."""
    try:
        secret = await api_tokens.create(viewer, data.token_name)
    except InvalidInput as exc:
        return await _full_page(viewer, settings, 400, token_error=exc.code, token_name=data.token_name)
    logs.security_event("api_token_created", "success", user_id=viewer.id)
    page = await _full_page(viewer, settings, new_token=secret)
    page.set_header("cache-control", "no-store")  # a secret on the page must not stay in caches
    return page


@post("/profile/tokens/{token_id:int}/revoke", opt=SIGNED_IN)
async def revoke_token(viewer: NamedDependency[User], token_id: FromPath[int]) -> Redirect:
    await api_tokens.revoke(viewer, token_id)
    logs.security_event("api_token_revoked", "success", user_id=viewer.id, token_id=token_id)
    return Redirect(path="/profile?done=token_revoked")


ROUTES = [profile_page, save_profile, change_password, create_token, revoke_token]
