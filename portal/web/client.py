"""Facts about the calling browser: its address (behind trusted proxies only) and user agent."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.accounts.flows import Client
from portal.logs import REQUEST_ORIGIN
from portal.settings import Settings
from portal.web.layer import HTTPMiddleware
from portal.web.session import header_of


def client_ip(scope: Scope, settings: Settings) -> str:
    """From the scope, as the middleware have it (building a Request for it cost more than the rest)."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if peer not in settings.trusted_proxies:
        return peer
    # Walk X-Forwarded-For from the right: the first address not a proxy of ours is the client.
    forwarded = [part.strip() for part in header_of(scope, b"x-forwarded-for").split(",") if part.strip()]
    for address in reversed(forwarded):
        if address not in settings.trusted_proxies:
            return address
    return peer


class OriginMiddleware(HTTPMiddleware):
    """Tells the security log (portal.logs.security_event) who calls, and on which route."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        origin = REQUEST_ORIGIN.set((client_ip(scope, self.settings), scope.get("path_template") or "?"))
        try:
            await next_app(scope, receive, send)
        finally:
            REQUEST_ORIGIN.reset(origin)


def client_of(connection: ASGIConnection, settings: Settings) -> Client:
    return Client(ip=client_ip(connection.scope, settings), user_agent=connection.headers.get("user-agent", "")[:300])
