"""What every response tells the browser about itself (CSP, nosniff, referrer, HSTS), and which Host
names the portal answers to."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.settings import Settings
from portal.web.layer import HTTPMiddleware

# Scripts and styles only from files the portal serves (no inline code, no eval, no other origin);
# the portal may not be framed (clickjacking) and forms post only to itself.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# One-time links (password reset, email confirmation, rating) carry their secret in the address:
# no other site may learn the address through the Referer header.
REFERRER_POLICY = "no-referrer"
HSTS = "max-age=31536000; includeSubDomains"
# Probes come from inside (a load balancer or orchestrator asking by pod address or localhost):
# they reveal nothing and build no links, so they answer whatever Host they name.
HOST_EXEMPT_PATHS = frozenset({"/health", "/ready"})


# A portal served on this machine's own address (the default, http://127.0.0.1:8000) is the same portal
# under each of its loopback names: someone who types localhost:8000 gets the portal, not a refusal.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]"})


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """The host of PORTAL_BASE_URL (with the other loopback names, when it is one) and those of
    PORTAL_ALLOWED_HOSTS, lower-case, without ports, IPv6 literals in brackets as a Host header has them."""
    served = urlsplit(settings.base_url).hostname or ""
    names = {f"[{served}]" if ":" in served else served, *settings.allowed_hosts}
    if names & LOOPBACK:
        names |= LOOPBACK
    return frozenset(name.lower() for name in names if name)


def _host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):  # an IPv6 literal: [::1]:8000
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostCheckMiddleware(HTTPMiddleware):
    """Refuses (400) a request naming a host the portal is not served as: a forged Host must not
    reach pages, caches or anything that might build an address from it."""

    def __init__(self, settings: Settings) -> None:
        self.hosts = allowed_hosts(settings)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["path"] not in HOST_EXEMPT_PATHS:
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            if "*" not in self.hosts and _host_name(host) not in self.hosts:
                body = b'{"status": 400, "detail": "unknown host"}'
                response = ASGIResponse(body=body, status_code=400, media_type="application/json")
                await response(scope, receive, send)
                return
        await next_app(scope, receive, send)


def content_security_policy(settings: Settings) -> str:
    """The policy above; a logo served from another https site (PORTAL_LOGO_URL) is let in as an image."""
    if not settings.logo_url.startswith("https://"):
        return CONTENT_SECURITY_POLICY
    parts = urlsplit(settings.logo_url)
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: https://{parts.netloc}")


def security_headers(settings: Settings):
    """A before_send hook: every response, matched route or not (404, 405, errors), gets the headers."""
    fixed = [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", REFERRER_POLICY),
        ("content-security-policy", content_security_policy(settings)),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ]
    if settings.secure_cookies:  # served over https
        fixed.append(("strict-transport-security", HSTS))

    # Bytes, as ASGI carries them: the names present are read once, not looked up five times through
    # MutableScopeHeaders (which decodes every header on each look-up).
    encoded = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in fixed]

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = message.get("headers")
        if not isinstance(headers, list):
            headers = message["headers"] = list(headers or ())
        present = {name.lower() for name, _value in headers}
        headers.extend(pair for pair in encoded if pair[0] not in present)

    return hook
