"""Rate limits on everything that writes or searches: one table maps routes to rules, the database counts.

The counters live in the database (auth.ratelimit), so a limit holds across processes and machines;
a request costs at most one extra round trip however many rules apply to it. A process keeps two
things for itself, neither of which lets more through than the database allows:
- a refusal: the database said "blocked for N seconds", and within its window a count only grows, so
  refusing the same request again until then without asking is what the database would say;
- for the frequent reads (searches, API calls), a claimed share: it counts a tenth of the limit at once
  in the database and spends it locally within that window. Every request it admits was counted
  before; the price is that a subject can be refused up to one share per process early.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum

from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

from auth import ratelimit
from auth.errors import RateLimited
from auth.tokens import hash_secret
from portal.settings import Settings
from portal.web import errors
from portal.web.client import client_ip
from portal.web.guards import Access, level_of
from portal.web.layer import HTTPMiddleware

__all__ = ["Limits", "RateLimitMiddleware", "rules_for"]


class Key(Enum):
    ADDRESS = "address"  # the client's address (behind trusted proxies only: see client_ip)
    USER = "user"  # the signed-in user; not counted for anonymous requests (the address rule is)
    TOKEN = "token"  # noqa: S105 - the API token (by its hash, what the database knows it by)


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    setting: str  # the Settings attribute holding (count, seconds)
    key: Key
    shared: bool = False  # claimed in shares (see the module docstring)


SEARCH = Kind("search", "rate_search", Key.ADDRESS, shared=True)
TICKET_WRITES = Kind("ticket-writes", "rate_ticket_writes", Key.USER)
WRITES = Kind("writes", "rate_writes", Key.USER)
ADDRESS_WRITES = Kind("address-writes", "rate_address_writes", Key.ADDRESS)
API = Kind("api", "rate_api", Key.TOKEN, shared=True)

TICKETS = (TICKET_WRITES, ADDRESS_WRITES)
OTHER_WRITES = (WRITES, ADDRESS_WRITES)

# (method, route template) → what it counts against. A POST not listed counts as OTHER_WRITES unless
# its service keeps limits of its own (OWN_LIMITS); every /api/tickets route also counts against its token.
ROUTES: dict[tuple[str, str], tuple[Kind, ...]] = {
    ("GET", "/kb/search"): (SEARCH,),
    ("GET", "/api/kb/search"): (SEARCH,),
    ("GET", "/api/kb/suggest"): (SEARCH,),
    # Filing includes the form's "check these articles first" search.
    ("POST", "/tickets"): TICKETS,
    ("POST", "/tickets/{number}/messages"): TICKETS,
    ("POST", "/tickets/{number}/close"): TICKETS,
    ("POST", "/tickets/{number}/rating"): TICKETS,
    ("POST", "/api/tickets"): TICKETS,
    ("PATCH", "/api/tickets/{number}"): OTHER_WRITES,
    ("POST", "/staff/tickets/new"): TICKETS,
    ("POST", "/api/tickets/{number}/messages"): TICKETS,
    ("POST", "/api/tickets/{number}/rating"): TICKETS,
    ("DELETE", "/api/tickets/{number}/followers"): OTHER_WRITES,
    ("GET", "/api/canned-replies"): (API,),
    ("POST", "/api/canned-replies"): (API, *OTHER_WRITES),
}
OWN_LIMITS = frozenset(
    {
        "/login",  # accounts.flows: per address and per account
        "/register",
        "/password/forgot",
        "/verify/resend",
        "/auth/oidc/link",
        "/kb/{slug}/feedback",  # kb_pages: votes per address
        "/kb/{slug}/solved",
    }
)


def rules_for(method: str, path: str) -> tuple[Kind, ...]:
    rules = ROUTES.get((method, path))
    if rules is None:
        rules = OTHER_WRITES if method == "POST" and path not in OWN_LIMITS else ()
    if path.startswith("/api/tickets"):
        rules = (API, *rules)
    return rules


def _bearer(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == b"authorization":
            return value.decode("latin-1").partition(" ")[2].strip()
    return ""


class Limits:
    """Counts a request against its route's rules; raises RateLimited when one is passed."""

    MAX_REMEMBERED = 10_000
    SHARE = 10  # a share is this fraction of the limit…
    MAX_SHARE = 100  # …but at most this many requests

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._blocked: dict[tuple, float] = {}  # attempts → until when the database refused them
        self._shares: dict[tuple, int] = {}  # (rule, subject, window) → requests claimed, not yet spent

    def _attempts(self, scope: Scope, rules: tuple[Kind, ...]) -> list[tuple[ratelimit.Rule, str, bool]]:
        user = scope.get("user")
        staff = user is not None and level_of(user.role) >= Access.STAFF
        attempts = []
        for kind in rules:
            if kind.key is Key.ADDRESS:
                subject = client_ip(scope, self.settings)
            elif kind.key is Key.USER:
                subject = f"u{user.id}" if user is not None else ""
            else:
                raw = _bearer(scope)
                subject = hash_secret(raw)[:32] if raw and user is not None else ""
            if subject:
                count, window = getattr(self.settings, kind.setting)
                factor = self.settings.rate_staff_factor if staff else 1
                attempts.append((ratelimit.Rule(kind.name, count * factor, window), subject, kind.shared))
        return attempts

    def _share(self, rule: ratelimit.Rule) -> int:
        return max(1, min(rule.limit // self.SHARE, self.MAX_SHARE))

    async def check(self, scope: Scope, now: float | None = None) -> None:
        rules = rules_for(scope["method"], scope.get("path_template") or scope["path"])
        attempts = self._attempts(scope, rules) if rules else []
        if not attempts:
            return
        now = time.time() if now is None else now
        key = tuple((rule.name, subject) for rule, subject, _shared in attempts)
        until = self._blocked.get(key)
        if until is not None:
            if now < until:
                raise RateLimited(retry_after=max(1, int(until - now)))
            del self._blocked[key]
        counted, costs, claims = [], [], []
        for rule, subject, shared in attempts:
            share = self._share(rule) if shared else 1
            if share > 1:
                claim = (rule.name, subject, int(now // rule.window_s))
                if self._shares.get(claim, 0) > 0:
                    self._shares[claim] -= 1  # counted in the database when it was claimed
                    continue
                claims.append((claim, share))
            counted.append((rule, subject))
            costs.append(share)
        if not counted:
            return
        try:
            await ratelimit.hit_all(counted, now, costs)
        except RateLimited as limited:
            if len(self._blocked) >= self.MAX_REMEMBERED:
                self._blocked.clear()
            self._blocked[key] = now + limited.retry_after
            raise
        if len(self._shares) >= self.MAX_REMEMBERED:
            self._shares.clear()
        for claim, share in claims:
            self._shares[claim] = share - 1  # this request spends one

    async def admit(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Count the request; False when it was refused, with the 429 sent here (not raised, so the
        middleware around this one, the access log, sees the 429 it is)."""
        try:
            await self.check(scope)
        except RateLimited as limited:
            request: Request = Request(scope)
            response = errors.account_error(request, limited)
            await response.to_asgi_response(app=None, request=request)(scope, receive, send)
            return False
        return True


class RateLimitMiddleware(HTTPMiddleware):
    """Runs last (after the session and the API token named the user), before CSRF and the handler."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if await self.limits.admit(scope, receive, send):
            await next_app(scope, receive, send)
