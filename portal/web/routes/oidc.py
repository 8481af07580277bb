"""Sign-in through OpenID Connect providers: start, callback, confirming a link, removing an identity."""

import logging
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from auth import users
from auth.errors import AccountError
from auth.oidc.errors import OidcError, ProviderUnavailable
from auth.tables import User
from portal.accounts import oidc_signin
from portal.accounts.flows import Client
from portal.accounts.landing import safe_next
from portal.settings import Settings
from portal.web.guards import PUBLIC, SIGNED_IN
from portal.web.session import session_cookie

log = logging.getLogger("portal.web")

ATTEMPT_COOKIE = "portal_oidc"
LINK_COOKIE = "portal_oidc_link"
FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class LinkForm(msgspec.Struct):
    password: str = ""


def _cookie(settings: Settings, key: str, value: str | None) -> Cookie:
    """A short-lived cookie for the sign-in pages only; Lax still reaches the provider's redirect back (a GET)."""
    return Cookie(
        key=key,
        value=value or "",
        max_age=600 if value else 0,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/auth/oidc",
    )


def _sign_in_page(error: str, next_path: str = "/", status: int = 400, cookies: list[Cookie] | None = None) -> Template:
    return Template(
        template_name="login.html",
        context={"error": error, "next": safe_next(next_path)},
        status_code=status,
        cookies=cookies or [],
    )


@get("/auth/oidc/{name:str}/start", opt=PUBLIC)
async def start(
    request: Request, name: FromPath[str], settings: NamedDependency[Settings], next: FromQuery[str] = "/"
) -> Response:
    try:
        url, secret = await oidc_signin.start(settings, name, next, request.cookies.get(ATTEMPT_COOKIE))
    except ProviderUnavailable:
        return _sign_in_page("oidc_unavailable", next, status=503)
    return Redirect(path=url, cookies=[_cookie(settings, ATTEMPT_COOKIE, secret)])


@get("/auth/oidc/{name:str}/callback", opt=PUBLIC)
async def callback(
    request: Request,
    name: FromPath[str],
    settings: NamedDependency[Settings],
    client: NamedDependency[Client],
    code: FromQuery[str] = "",
    # `state` is a name Litestar reserves for the application state.
    state_param: Annotated[str, QueryParameter(name="state")] = "",
    error: FromQuery[str] = "",
    iss: FromQuery[str] = "",
) -> Response:
    forget = _cookie(settings, ATTEMPT_COOKIE, None)
    try:
        outcome = await oidc_signin.come_back(
            settings,
            client,
            name,
            oidc_signin.Callback(code=code, state=state_param, error=error, iss=iss),
            request.cookies.get(ATTEMPT_COOKIE),
            replaces=request.scope.get("auth"),
        )
    except OidcError as exc:
        status = 503 if isinstance(exc, ProviderUnavailable) else 400
        # What exactly failed is for operators; the person sees the message for exc.code.
        level = logging.INFO if exc.code in {"oidc_denied", "oidc_expired"} else logging.WARNING
        log.log(level, "sign-in through %s failed: %s", name, exc.reason)
        return _sign_in_page(exc.code, status=status, cookies=[forget])
    if isinstance(outcome, oidc_signin.LinkNeeded):
        return Redirect(path="/auth/oidc/link", cookies=[forget, _cookie(settings, LINK_COOKIE, outcome.secret)])
    return Redirect(path=outcome.landing, cookies=[forget, session_cookie(settings, outcome.secret)])


def _link_page(email: str, label: str, status: int = 200, error: str | None = None) -> Template:
    return Template(
        template_name="oidc_link.html", context={"email": email, "provider": label, "error": error}, status_code=status
    )


@get("/auth/oidc/link", opt=PUBLIC)
async def link_page(request: Request, settings: NamedDependency[Settings]) -> Response:
    try:
        email, label = await oidc_signin.link_to_confirm(settings, request.cookies.get(LINK_COOKIE))
    except OidcError as exc:
        return _sign_in_page(exc.code)
    return _link_page(email, label)


@post("/auth/oidc/link", opt=PUBLIC)
async def confirm_link(
    request: Request,
    data: Annotated[LinkForm, FORM],
    settings: NamedDependency[Settings],
    client: NamedDependency[Client],
) -> Response:
    raw = request.cookies.get(LINK_COOKIE)
    try:
        signed_in = await oidc_signin.confirm_link(client, raw, data.password, replaces=request.scope.get("auth"))
    except OidcError as exc:
        return _sign_in_page(exc.code, cookies=[_cookie(settings, LINK_COOKIE, None)])
    except AccountError as exc:
        if exc.code == "rate_limited":
            raise
        email, label = await oidc_signin.link_to_confirm(settings, raw)
        return _link_page(email, label, 400, exc.code)
    return Redirect(
        path=signed_in.landing,
        cookies=[_cookie(settings, LINK_COOKIE, None), session_cookie(settings, signed_in.secret)],
    )


@post("/profile/identities/{identity_id:int}/remove", opt=SIGNED_IN)
async def remove_identity(
    identity_id: FromPath[int], viewer: NamedDependency[User], settings: NamedDependency[Settings]
) -> Response:
    try:
        await oidc_signin.remove_identity(viewer, identity_id)
    except OidcError as exc:
        identities = await oidc_signin.linked_identities(settings, viewer)
        return Template(
            template_name="profile.html",
            status_code=400,
            context={
                "time_zones": users.time_zones(),
                "form": viewer,
                "identities": identities,
                "identity_error": exc.code,
            },
        )
    return Redirect(path="/profile?done=identity_removed")


ROUTES = [start, callback, link_page, confirm_link, remove_identity]
