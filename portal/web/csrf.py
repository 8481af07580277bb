"""Cross-site request forgery: the double-submit check on every unsafe request.

A POST, PUT, PATCH or DELETE must carry the token of the browser's `csrftoken` cookie in the
`x-csrftoken` header or in the form's `_csrf_token` field: another site's page can make the browser send
the cookie, but cannot read it. Pages get the token (`csrf_token()` and `csrf_input` in templates), and a
browser without the cookie is given one. Tokens, names and checks are those of Litestar's CSRFMiddleware,
which this replaces (cookies and forms it issued keep working): 64 hex digits of randomness and the 64 of
their HMAC with the secret key. Routes whose opt sets `exclude_from_csrf` are left out (guards.NO_FORM,
api_auth.TOKEN_ONLY).

Litestar's middleware built a Request and parsed the content type and the cookies on every request, and
rendered each new cookie through http.cookies (dataclasses.asdict, a SimpleCookie): about a twentieth of
the search page. Here a page costs a look at the Cookie header, and a new cookie is the token between
two strings rendered once; the HMAC is computed in one call (hmac.digest), not through an HMAC object.
"""

from __future__ import annotations

import re
import secrets
from hmac import compare_digest, digest

from litestar import Request
from litestar._parsers import parse_cookie_string
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRF_SECRET_BYTES, CSRF_SECRET_LENGTH
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from portal.web.layer import HTTPMiddleware
from portal.web.session import header_of

__all__ = ["TOKEN", "Csrf", "CsrfMiddleware"]

# A token as the cookie carries it, in bytes: 64 hex digits of randomness and 64 of their HMAC. The page
# copies are served only with a token of this form; anything else is left to the check (a page rendered
# fresh).
TOKEN = re.compile(rb"[0-9a-f]{%d}" % (2 * CSRF_SECRET_LENGTH))
_FORMS = frozenset({RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART})


class Csrf:
    """The configuration and what the middleware and the page caches do with it: new tokens, their cookie."""

    def __init__(self, config: CSRFConfig) -> None:
        self.config = config
        self.cookie_name = config.cookie_name
        self._key = config.secret.encode()
        cookie = Cookie(
            key=config.cookie_name,
            value="-",
            path=config.cookie_path,
            secure=config.cookie_secure,
            httponly=config.cookie_httponly,
            samesite=config.cookie_samesite,
            domain=config.cookie_domain,
        )
        # "csrftoken=" and "; HttpOnly; Path=/; SameSite=lax" around the token: the header Litestar rendered.
        head = f"{config.cookie_name}="
        tail = cookie.to_header(header="").strip()[len(head) + 1 :]
        self._cookie = (head.encode("latin-1"), tail.encode("latin-1"))

    def new_token(self) -> str:
        random = secrets.token_hex(CSRF_SECRET_BYTES)
        return random + self._signature(random)

    def _signature(self, random: str) -> str:
        return digest(self._key, random.encode(), "sha256").hex()

    def set_cookie(self, token: str) -> tuple[bytes, bytes]:
        """The Set-Cookie header that gives the browser `token`."""
        head, tail = self._cookie
        return b"set-cookie", head + token.encode("latin-1") + tail

    def _signed(self, token: str) -> str | None:
        """The random part of a token, when its HMAC is right."""
        if len(token) <= CSRF_SECRET_LENGTH:
            return None
        random, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
        return random if compare_digest(signature.encode(), self._signature(random).encode()) else None

    def matches(self, submitted: str, cookie: str) -> bool:
        """Whether the token sent with a request is the cookie's, both signed with the secret key."""
        ours, theirs = self._signed(submitted), self._signed(cookie)
        return ours is not None and theirs is not None and compare_digest(ours.encode(), theirs.encode())


class CsrfMiddleware(HTTPMiddleware):
    """The innermost layer, where Litestar put its own: after the rate limits, just before the handler."""

    def __init__(self, csrf: Csrf) -> None:
        self.csrf = csrf
        self.config = csrf.config

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["route_handler"].opt.get(self.config.exclude_from_csrf_key):
            await next_app(scope, receive, send)
            return
        state = ScopeState.from_scope(scope)
        if scope["method"] not in self.config.safe_methods:
            state.csrf_token = await self._checked(scope, receive)
            await next_app(scope, receive, send)
            return
        cookie = None
        if header := header_of(scope, b"cookie"):
            # Parsed as Request.cookies parses them, and kept where it looks first.
            state.cookies = parse_cookie_string(header)
            cookie = state.cookies.get(self.csrf.cookie_name)
        state.csrf_token = cookie or self.csrf.new_token()
        await next_app(scope, receive, send if cookie is not None else self._giving(send, state.csrf_token))

    async def _checked(self, scope: Scope, receive: Receive) -> str:
        """The token of an unsafe request, which must match its cookie."""
        request: Request = Request(scope, receive)
        cookie = request.cookies.get(self.csrf.cookie_name)
        submitted = request.headers.get(self.config.header_name)
        if not submitted and request.content_type[0] in _FORMS:
            submitted = (await request.form()).get("_csrf_token")
        if submitted is None or cookie is None or not self.csrf.matches(submitted, cookie):
            raise PermissionDeniedException("CSRF token verification failed")
        return submitted

    def _giving(self, send: Send, token: str) -> Send:
        """`send` that adds the cookie carrying `token` to the response."""
        set_cookie = self.csrf.set_cookie(token)

        async def giving(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if not isinstance(headers, list):
                    headers = message["headers"] = list(headers)
                headers.append(set_cookie)
            await send(message)

        return giving
