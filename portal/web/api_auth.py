"""Personal API tokens on /api/: an `Authorization: Bearer` header names the caller.

Why the token routes may skip the CSRF check (TOKEN_ONLY): CSRF works because a browser attaches
cookies to a forged cross-site request by itself. On TOKEN_ONLY routes the session cookie is
ignored and only the Bearer header signs the caller in; a browser never adds that header on its
own, and a cross-site page cannot set it without a CORS preflight, which this site never grants.
So a request without the header is anonymous there (401), and a request with it carries a
secret an attacker's page does not have. Every other route keeps the CSRF check.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Receive, Scope, Send

from auth import api_tokens, ratelimit
from auth.errors import RateLimited
from portal import i18n
from portal.settings import Settings
from portal.web.client import client_ip
from portal.web.guards import Access
from portal.web.layer import HTTPMiddleware

# The opt of a route that answers to API tokens only (see the module docstring for the CSRF part).
TOKEN_ONLY: dict[str, Any] = {"access": Access.USER, "token_only": True, "exclude_from_csrf": True}
# The same for staff only: a customer's token gets the 404 every staff route gives customers.
STAFF_TOKEN_ONLY: dict[str, Any] = {**TOKEN_ONLY, "access": Access.STAFF}
# Wrong tokens cost a database lookup each; a guesser is slowed down per address, across processes.
FAILURES_PER_ADDRESS = ratelimit.Rule("api-token-address", 30, 15 * 60)
SECURITY = [{"BearerToken": []}]


def _bearer(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            scheme, _sep, credentials = value.decode("latin-1").partition(" ")
            return credentials.strip() if scheme.lower() == "bearer" else ""
    return None


def _json(status: int, detail: str, headers: dict[str, str]) -> ASGIResponse:
    body = msgspec.json.encode({"status": status, "detail": detail})
    return ASGIResponse(body=body, status_code=status, media_type="application/json", headers=headers)


class ApiTokenMiddleware(HTTPMiddleware):
    """Runs after the session middleware: a token replaces the cookie's user on /api/."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not scope["path"].startswith("/api/"):
            await next_app(scope, receive, send)
            return
        raw = _bearer(scope)
        if raw is None:
            if scope["route_handler"].opt.get("token_only"):
                scope["user"] = None  # the cookie must not act here: see the module docstring
                scope["auth"] = None
            await next_app(scope, receive, send)
            return
        user = await api_tokens.authenticate(raw)
        if user is None:
            await self._refuse(scope, receive, send)
            return
        scope["user"] = user
        scope["auth"] = None
        if user.locale in i18n.LOCALES:
            i18n.set_locale(user.locale)
        await next_app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await ratelimit.hit(FAILURES_PER_ADDRESS, client_ip(scope, self.settings))
        except RateLimited as limited:
            response = _json(429, "too many requests", {"retry-after": str(limited.retry_after)})
        else:
            response = _json(401, "invalid or revoked API token", {"www-authenticate": 'Bearer error="invalid_token"'})
        await response(scope, receive, send)
