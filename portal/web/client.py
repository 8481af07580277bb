"""Facts about the calling browser: its address (behind trusted proxies only) and user agent."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from portal.accounts.flows import Client
from portal.settings import Settings


def client_ip(connection: ASGIConnection, settings: Settings) -> str:
    peer = connection.client.host if connection.client else "unknown"
    if peer not in settings.trusted_proxies:
        return peer
    # Walk X-Forwarded-For from the right: the first address not a proxy of ours is the client.
    forwarded = [part.strip() for part in connection.headers.get("x-forwarded-for", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if address not in settings.trusted_proxies:
            return address
    return peer


def client_of(connection: ASGIConnection, settings: Settings) -> Client:
    return Client(ip=client_ip(connection, settings), user_agent=connection.headers.get("user-agent", "")[:300])
