"""The browser session: who is signed in (from the database), and the language of the request."""

from __future__ import annotations

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from auth import sessions
from auth.tables import User
from portal import i18n
from portal.accounts.flows import session_lifetime
from portal.settings import Settings
from portal.web.layer import HTTPMiddleware

COOKIE = "portal_session"
LANGUAGE_COOKIE = "lang"


def session_cookie(settings: Settings, secret: str | None) -> Cookie:
    """The cookie that carries a session secret, or (with None) the one that removes it."""
    return Cookie(
        key=COOKIE,
        value=secret or "",
        max_age=settings.session_absolute_hours * 3600 if secret else 0,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def language_cookie(settings: Settings, locale: str) -> Cookie:
    return Cookie(
        key=LANGUAGE_COOKIE,
        value=locale,
        max_age=365 * 24 * 3600,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def request_locale(user: User | None, cookies: dict[str, str], accept_language: str | None, default: str) -> str:
    """The user's setting, else the switcher's cookie, else the browser's Accept-Language."""
    if user is not None and user.locale in i18n.LOCALES:
        return user.locale
    if cookies.get(LANGUAGE_COOKIE) in i18n.LOCALES:
        return cookies[LANGUAGE_COOKIE]
    return i18n.negotiate(accept_language, default)


def header_of(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def cookies_of(scope: Scope) -> dict[str, str]:
    raw = header_of(scope, b"cookie")
    jar: dict[str, str] = {}
    for part in raw.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name not in jar:
            jar[name] = value
    return jar


class SessionMiddleware(HTTPMiddleware):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lifetime = session_lifetime(settings)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["path"].startswith("/static/"):  # files are the same for everyone: no session lookup
            await next_app(scope, receive, send)
            return
        cookies = cookies_of(scope)
        raw = cookies.get(COOKIE)
        found = await sessions.resolve(raw, self.lifetime) if raw else None
        user = found[1] if found else None
        scope["user"] = user
        scope["auth"] = raw if found else None
        accept = header_of(scope, b"accept-language")
        i18n.set_locale(request_locale(user, cookies, accept, self.settings.default_locale))
        if raw and not found:
            send = self._forgetting(send)
        await next_app(scope, receive, send)

    def _forgetting(self, send: Send) -> Send:
        """A browser holding a dead session id is told to drop it (unless the response sets a new one)."""
        expired = session_cookie(self.settings, None).to_header(header="").strip()

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if not any(v.startswith(f"{COOKIE}=") for v in headers.getall("set-cookie", [])):
                    headers.add("set-cookie", expired)
            await send(message)

        return wrapped
