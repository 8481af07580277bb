"""Knowledge-base pages for anonymous readers, rendered once and served again until the articles change.

An anonymous reader's page depends on nothing but its URL and language, so a rendered copy can serve the
next reader of the same URL in the same language. Two things differ per serving:

- the CSRF token in its forms is the browser's own: the copy is kept with the token cut out, and each
  serving puts in the token of its browser's cookie (or a new one, with the cookie), exactly what the
  CSRF middleware would have rendered, so the double-submit check is the same as for a fresh page;
- what the handler does besides rendering (count a view, log a search) happens again on every serving:
  handlers wrap it in `per_serving`, and a value it returns (the search's log token in result links) is
  cut out and replaced by the value of that serving's own call.

Only routes that opt in (`CACHED_PAGE`) are considered, only while the knowledge base is public, and a
request with a session cookie (valid or not) is never answered from the cache nor stored.

A page is kept from its second request on: most searches are asked once (a long tail of distinct
queries), and keeping each of them would spend the work of a copy and a place in the cache on a page
nobody asks for again. The cache remembers which pages were asked (a bounded set of their keys' hashes).

Copies are dropped when this process applies a change to articles or categories (`IndexSync.changes`):
at once in the process that made it, within a background pass (seconds) in the others, as for search.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from kb.indexing import IndexSync
from portal.settings import Settings
from portal.web.csrf import TOKEN, Csrf
from portal.web.layer import HTTPMiddleware
from portal.web.limits import Limits
from portal.web.session import COOKIE, cookies_of, header_of, request_locale

__all__ = [
    "CACHED_PAGE",
    "Copy",
    "PageCache",
    "PageCacheMiddleware",
    "copy_of",
    "cut",
    "kept_headers",
    "not_kept",
    "per_serving",
    "rendered",
    "send_copy",
]

T = TypeVar("T")

# The opt of a route whose pages anonymous readers may get from the cache.
CACHED_PAGE: dict[str, Any] = {"cached_page": True}
_NOTE = "portal.page_cache"  # the scope key of the _Note of a page being rendered for the cache
MAX_BYTES = 32 * 1024 * 1024  # of pages kept per process; the least recently served go first
ASKED_KEPT = 50_000  # pages remembered as asked once (a hash each, about 4 MB); the oldest forgotten first
_PER_RESPONSE_HEADERS = {b"content-length", b"set-cookie"}
# The page depends on the cookies (session, language) and Accept-Language, and carries this browser's
# token: no shared cache may keep it or give it to another browser.
_HEADERS = [(b"vary", b"Accept-Language, Cookie"), (b"cache-control", b"private")]


@dataclass(slots=True)
class _Note:
    """What the handler told the cache while rendering: what every serving does, and whether to keep it."""

    actions: list[tuple[str, Callable[[], object]]] = field(default_factory=list)
    keep: bool = True


def per_serving(connection: ASGIConnection, action: Callable[[], T]) -> T:
    """Run `action` (count a view, log a search) now, and again for every copy of this page served from
    the cache. A non-empty string it returns (a search's log token) belongs to this serving only: a copy
    gets the string its own call returns in its place, so the string must not occur elsewhere in the page."""
    value = action()
    note: _Note | None = connection.scope.get(_NOTE)  # type: ignore[call-overload]
    if note is not None:
        note.actions.append((value if isinstance(value, str) else "", action))
    return value


def not_kept(connection: ASGIConnection) -> None:
    """This page's URL is one reader's (a click from their own search results): not worth a copy."""
    note: _Note | None = connection.scope.get(_NOTE)  # type: ignore[call-overload]
    if note is not None:
        note.keep = False


@dataclass(frozen=True, slots=True)
class Copy:
    """A rendered page kept with the values of one serving cut out, put back by `body`."""

    headers: list[tuple[bytes, bytes]]
    # The body split where the per-serving values were: parts[0] value parts[1] value … parts[-1];
    # slots[i] says which value goes after parts[i]: 0 the CSRF token, n the nth action's.
    parts: tuple[bytes, ...]
    slots: tuple[int, ...]
    actions: tuple[Callable[[], object], ...]
    changes: int
    size: int

    def body(self, token: bytes) -> bytes:
        values = [token] + [_encoded(action()) for action in self.actions]
        pieces = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:], strict=True):
            pieces += (values[slot], part)
        return b"".join(pieces)


def _marked(send: Send) -> Send:
    """Every response of a cached route says what it varies on and that it is private (see _HEADERS)."""

    async def marking(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *_HEADERS]
        await send(message)

    return marking


def _encoded(value: object) -> bytes:
    return value.encode() if isinstance(value, str) else b""


def cut(body: bytes, values: list[bytes]) -> tuple[tuple[bytes, ...], tuple[int, ...]]:
    """Split `body` at every occurrence of the (non-empty) values; which value was where."""
    found = []
    for index, value in enumerate(values):
        at = body.find(value) if value else -1
        while at >= 0:
            found.append((at, -len(value), index))
            at = body.find(value, at + len(value))
    parts, slots, position = [], [], 0
    for at, negated_length, index in sorted(found):
        if at < position:
            continue  # inside a longer value cut just before
        parts.append(body[position:at])
        slots.append(index)
        position = at - negated_length
    parts.append(body[position:])
    return tuple(parts), tuple(slots)


def kept_headers(start: Message, csrf: Csrf) -> list[tuple[bytes, bytes]] | None:
    """A response's headers as a copy keeps them (without its length and the CSRF cookie, which are
    each serving's own), or None for a response that sets any other cookie: it is someone's own."""
    headers = []
    for name, value in start.get("headers", ()):
        lowered = name.lower()
        if lowered == b"set-cookie" and not value.startswith(f"{csrf.cookie_name}=".encode()):
            return None
        if lowered not in _PER_RESPONSE_HEADERS:
            headers.append((name, value))
    return headers


async def rendered(scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> tuple[Message | None, bytes]:
    """The page rendered and sent on to `send`; its start (headers as the handler's side sent them: the
    app's before_send hooks add theirs on the way out, and again to every copy served) and its body."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def keeping(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = {**message, "headers": list(message.get("headers", ()))}
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        await send(message)

    await next_app(scope, receive, keeping)
    return start, b"".join(chunks)


def copy_of(
    scope: Scope,
    start: Message,
    body: bytes,
    csrf: Csrf,
    served: tuple[bytes, ...] = (),
    actions: tuple[Callable[[], object], ...] = (),
    changes: int = 0,
) -> Copy | None:
    """A rendered page as a copy: this serving's CSRF token (and the values of `served`, returned by
    `actions`) cut out; None for a response that is someone's own (see kept_headers)."""
    headers = kept_headers(start, csrf)
    if headers is None:
        return None
    token = ScopeState.from_scope(scope).csrf_token
    parts, slots = cut(body, [token.encode() if isinstance(token, str) else b"", *served])
    return Copy(headers, parts, slots, actions, changes, len(body))


async def send_copy(send: Send, copy: Copy, csrf: Csrf, token: bytes) -> None:
    """A copy served to a browser with its own CSRF token (`token`, from its cookie), or without one
    with a new token and the cookie that carries it: what the CSRF middleware would have done."""
    headers = list(copy.headers)
    if not token:
        new = csrf.new_token()
        headers.append(csrf.set_cookie(new))
        token = new.encode()
    body = copy.body(token)
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class PageCache:
    """Rendered pages by (path, query, language), least recently served dropped beyond MAX_BYTES."""

    def __init__(self, kb: IndexSync, max_bytes: int = MAX_BYTES, asked_kept: int = ASKED_KEPT) -> None:
        self.kb = kb
        self.max_bytes = max_bytes
        self.asked_kept = asked_kept
        self._pages: OrderedDict[tuple, Copy] = OrderedDict()
        self._asked: dict[int, None] = {}  # hashes of keys asked for and not kept, oldest first
        self._size = 0
        self._changes = kb.changes

    def _current(self) -> None:
        if self._changes != self.kb.changes:
            self._pages.clear()
            self._size = 0
            self._changes = self.kb.changes

    def get(self, key: tuple) -> Copy | None:
        self._current()
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
        return page

    def asked_before(self, key: tuple) -> bool:
        """Whether a copy of this page is worth keeping: it was asked for before (and is remembered as
        asked from now on)."""
        asked = hash(key)
        if asked in self._asked:
            del self._asked[asked]
            return True
        self._asked[asked] = None
        if len(self._asked) > self.asked_kept:
            del self._asked[next(iter(self._asked))]
        return False

    def put(self, key: tuple, page: Copy) -> None:
        self._current()
        if page.changes != self._changes or page.size > self.max_bytes:
            return  # rendered from articles as they were before a change applied meanwhile
        old = self._pages.pop(key, None)
        self._size += page.size - (old.size if old else 0)
        self._pages[key] = page
        while self._size > self.max_bytes:
            _, dropped = self._pages.popitem(last=False)
            self._size -= dropped.size


class PageCacheMiddleware(HTTPMiddleware):
    """Serves CACHED_PAGE routes to anonymous readers from a PageCache; runs before the session middleware,
    so a served copy costs no session or CSRF work, and after the access log, so it is logged."""

    def __init__(self, settings: Settings, kb: IndexSync, csrf: Csrf, limits: Limits | None = None) -> None:
        self.settings = settings
        self.csrf = csrf
        self.limits = limits  # a copy served skips the rate-limit middleware: it is counted here
        self.cache = PageCache(kb)
        # Pages being rendered: readers asking for one meanwhile wait for it rather than render it too
        # (a popular article after a change, or many readers arriving at once, would otherwise be
        # rendered once per reader, every copy querying the database).
        self._rendering: dict[tuple, asyncio.Event] = {}

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["method"] != "GET" or not scope["route_handler"].opt.get("cached_page"):
            await next_app(scope, receive, send)
            return
        cookies = cookies_of(scope)
        token = cookies.get(self.csrf.cookie_name, "").encode("latin-1")
        if not self.settings.kb_public or COOKIE in cookies or (token and not TOKEN.fullmatch(token)):
            await next_app(scope, receive, _marked(send))
            return
        locale = request_locale(None, cookies, header_of(scope, b"accept-language"), self.settings.default_locale)
        key = (scope["path"], scope["query_string"], locale)
        page = self.cache.get(key)
        if page is None and (rendering := self._rendering.get(key)) is not None:
            await rendering.wait()
            page = self.cache.get(key)
        if page is None:
            if key in self._rendering:  # that render kept no copy (a 404): this one may not either
                await self._render(key, scope, receive, send, next_app)
                return
            if not self.cache.asked_before(key):
                await next_app(scope, receive, _marked(send))
                return
            self._rendering[key] = rendering = asyncio.Event()
            try:
                await self._render(key, scope, receive, send, next_app)
            finally:
                del self._rendering[key]
                rendering.set()
            return
        if self.limits is not None and not await self.limits.admit(scope, receive, send):
            return
        await send_copy(send, page, self.csrf, token)

    async def _render(self, key: tuple, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        note = scope[_NOTE] = _Note()  # type: ignore[literal-required]
        changes = self.cache.kb.changes
        start, body = await rendered(scope, receive, _marked(send), next_app)
        if start is None or start["status"] != 200 or not note.keep or scope.get("user") is not None:
            return
        served = tuple(value.encode() for value, _ in note.actions)
        copy = copy_of(scope, start, body, self.csrf, served, tuple(action for _, action in note.actions), changes)
        if copy is not None:
            self.cache.put(key, copy)
