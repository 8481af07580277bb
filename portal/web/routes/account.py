"""Signing in and out, registration, email confirmation and password reset."""

from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from auth import links, sessions, users
from auth.errors import AccountError, InvalidInput, InvalidLink
from auth.links import Purpose
from auth.tables import User
from portal import i18n
from portal.accounts import flows as accounts
from portal.accounts.flows import Client
from portal.accounts.landing import after_sign_in, safe_next
from portal.settings import Settings
from portal.web.guards import PUBLIC
from portal.web.session import session_cookie

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class SignInForm(msgspec.Struct):
    email: str = ""
    password: str = ""
    next: FromQuery[str] = "/"


class RegisterForm(msgspec.Struct):
    name: str = ""
    email: str = ""
    password: str = ""
    password2: str = ""
    time_zone: str = ""


class EmailForm(msgspec.Struct):
    email: str = ""


class TokenForm(msgspec.Struct):
    token: FromQuery[str] = ""


class NewPasswordForm(msgspec.Struct):
    token: FromQuery[str] = ""
    invite: FromQuery[str] = ""
    password: str = ""
    password2: str = ""


def _form(template: str, status: int = 200, **context: object) -> Template:
    return Template(template_name=template, context=context, status_code=status)


@get("/login", opt=PUBLIC)
async def sign_in_page(
    viewer: NamedDependency[User | None], next: FromQuery[str] = "/", done: FromQuery[str | None] = None
) -> Response:
    if viewer is not None:
        return Redirect(path=after_sign_in(viewer.role, next))
    return _form("login.html", next=safe_next(next), done=done)


@post("/login", opt=PUBLIC)
async def sign_in(
    request: Request,
    data: Annotated[SignInForm, FORM],
    settings: NamedDependency[Settings],
    client: NamedDependency[Client],
) -> Response:
    try:
        user, secret = await accounts.sign_in(client, data.email, data.password, replaces=request.scope.get("auth"))
    except AccountError as exc:
        if exc.code == "rate_limited":
            raise
        return _form("login.html", 400, error=exc.code, email=data.email, next=safe_next(data.next))
    return Redirect(path=after_sign_in(user.role, data.next), cookies=[session_cookie(settings, secret)])


@post("/logout", opt=PUBLIC)
async def sign_out(request: Request, settings: NamedDependency[Settings]) -> Response:
    if request.scope.get("auth"):
        await sessions.end(request.scope["auth"])
    return Redirect(path="/login?done=signed_out", cookies=[session_cookie(settings, None)])


@get("/register", opt=PUBLIC)
async def register_page(viewer: NamedDependency[User | None], settings: NamedDependency[Settings]) -> Response:
    if viewer is not None:
        return Redirect(path="/profile")
    return _form("register.html", **_zones(settings))


def _zones(settings: Settings, chosen: str = "") -> dict[str, object]:
    return {"time_zones": users.time_zones(), "time_zone": chosen or settings.default_time_zone}


@post("/register", opt=PUBLIC)
async def register(
    data: Annotated[RegisterForm, FORM], settings: NamedDependency[Settings], client: NamedDependency[Client]
) -> Response:
    try:
        if data.password != data.password2:
            raise InvalidInput("password2", "passwords_differ")
        await accounts.register(
            settings, client, data.email, data.name, data.password, i18n.current_locale(), data.time_zone
        )
    except InvalidInput as exc:
        return _form(
            "register.html",
            400,
            error=exc.code,
            bad=exc.field,
            name=data.name,
            email=data.email,
            **_zones(settings, data.time_zone),
        )
    return Redirect(path="/login?done=registered")


@get("/verify", opt=PUBLIC)
async def verify_page(token: FromQuery[str] = "") -> Template:
    try:
        await links.peek(token, Purpose.VERIFY)
    except InvalidLink:
        return _form("verify.html", 400, error="invalid_link")
    return _form("verify.html", token=token)


@post("/verify", opt=PUBLIC)
async def verify(data: Annotated[TokenForm, FORM]) -> Response:
    try:
        await accounts.verify_email(data.token)
    except InvalidLink:
        return _form("verify.html", 400, error="invalid_link")
    return Redirect(path="/login?done=verified")


@post("/verify/resend", opt=PUBLIC)
async def resend_verification(
    data: Annotated[EmailForm, FORM], settings: NamedDependency[Settings], client: NamedDependency[Client]
) -> Response:
    await accounts.resend_verification(settings, client, data.email)
    return Redirect(path="/login?done=verification_sent")


@get("/password/forgot", opt=PUBLIC)
async def forgot_page(done: FromQuery[str | None] = None) -> Template:
    return _form("forgot.html", done=done)


@post("/password/forgot", opt=PUBLIC)
async def forgot(
    data: Annotated[EmailForm, FORM], settings: NamedDependency[Settings], client: NamedDependency[Client]
) -> Response:
    await accounts.request_password_reset(settings, client, data.email)
    return Redirect(path="/password/forgot?done=reset_sent")


@get("/password/reset", opt=PUBLIC)
async def reset_page(token: FromQuery[str] = "", invite: FromQuery[str] = "") -> Template:
    purpose = Purpose.INVITE if invite else Purpose.RESET
    try:
        await links.peek(token, purpose)
    except InvalidLink:
        return _form("reset.html", 400, error="invalid_link")
    return _form("reset.html", token=token, invite=invite)


@post("/password/reset", opt=PUBLIC)
async def reset(
    data: Annotated[NewPasswordForm, FORM], settings: NamedDependency[Settings], client: NamedDependency[Client]
) -> Response:
    purpose = Purpose.INVITE if data.invite else Purpose.RESET
    try:
        if data.password != data.password2:
            raise InvalidInput("password2", "passwords_differ")
        _user, secret = await accounts.reset_password(client, data.token, data.password, purpose)
    except InvalidInput as exc:
        return _form("reset.html", 400, error=exc.code, token=data.token, invite=data.invite)
    except InvalidLink:
        return _form("reset.html", 400, error="invalid_link")
    return Redirect(path="/profile?done=password_changed", cookies=[session_cookie(settings, secret)])


ROUTES = [
    sign_in_page,
    sign_in,
    sign_out,
    register_page,
    register,
    verify_page,
    verify,
    resend_verification,
    forgot_page,
    forgot,
    reset_page,
    reset,
]
