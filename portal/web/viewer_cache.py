"""Signed-in pages kept for their viewer while what they show is unchanged.

A customer checking a ticket, an API client polling one, a list reloaded: most such requests find the
page as it was. A route opts in with `cached_per_viewer(fresh_as)`, where `fresh_as` answers from one
indexed query how current the page's data is (portal.tickets.freshness: the versions the database
raises on every change). A copy is served only to the same user, for the same URL and language, while:

- the data's answer is the same (checked on every request, so a change made by any process or node
  shows at once, the viewer's own reply included);
- the viewer is the same as when it was rendered (role, organization, language, time zone, name: the
  session's user is read again from the database every second);
- the minute is the same: relative times ("due in 2 hours"), names and labels edited elsewhere (an
  agent's name, a type's) and an organization's sharing show within a minute.

A request is only answered from here once the session middleware found it signed in: a signed-out or
deactivated user loses their copies within the session cache's second. The CSRF token in a page's forms
is the browser's own, cut out of the copy and put back per serving (see portal.web.page_cache). Copies
are bounded in bytes per process; the least recently served go first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from auth.tables import User
from portal import i18n
from portal.web.csrf import TOKEN, Csrf
from portal.web.layer import HTTPMiddleware
from portal.web.page_cache import Copy, copy_of, rendered, send_copy
from portal.web.session import cookies_of

__all__ = ["ViewerCache", "ViewerCacheMiddleware", "cached_per_viewer"]

# How current a page's data is, from the viewer, the route's path parameters and the query string;
# None: do not keep or serve a copy (e.g. the ticket does not exist: the handler answers).
FreshAs = Callable[[User, dict[str, Any], bytes], Awaitable[Any]]
_OPT = "fresh_as"
MAX_BYTES = 32 * 1024 * 1024


def cached_per_viewer(fresh_as: FreshAs) -> dict[str, Any]:
    """The route opt of a GET page kept per viewer while `fresh_as` gives the same answer."""
    return {_OPT: fresh_as}


def _viewer(user: User) -> tuple:
    return (user.role, user.organization, user.locale, user.time_zone, user.name, user.email)


@dataclass(frozen=True, slots=True)
class _Kept:
    stamp: tuple  # the data's answer, the viewer and the minute when rendered
    copy: Copy


class ViewerCache:
    """Copies by (user, path, query, language), least recently served dropped beyond `max_bytes`."""

    def __init__(self, max_bytes: int = MAX_BYTES, clock: Callable[[], float] = time.time) -> None:
        self.max_bytes = max_bytes
        self.clock = clock
        self._kept: OrderedDict[tuple, _Kept] = OrderedDict()
        self._size = 0

    def stamp(self, fresh: Any, user: User) -> tuple:
        return (fresh, _viewer(user), int(self.clock() // 60))

    def get(self, key: tuple, stamp: tuple) -> Copy | None:
        kept = self._kept.get(key)
        if kept is None or kept.stamp != stamp:
            return None
        self._kept.move_to_end(key)
        return kept.copy

    def put(self, key: tuple, stamp: tuple, copy: Copy) -> None:
        if copy.size > self.max_bytes:
            return
        old = self._kept.pop(key, None)
        self._size += copy.size - (old.copy.size if old else 0)
        self._kept[key] = _Kept(stamp, copy)
        while self._size > self.max_bytes:
            _, dropped = self._kept.popitem(last=False)
            self._size -= dropped.copy.size

    def __len__(self) -> int:
        return len(self._kept)


class ViewerCacheMiddleware(HTTPMiddleware):
    """Serves routes that opted in from a ViewerCache; runs after the session, API token and rate-limit
    middleware, so a served copy is a signed-in, counted request."""

    def __init__(self, csrf: Csrf, cache: ViewerCache | None = None) -> None:
        self.csrf = csrf
        self.cache = cache or ViewerCache()

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        user: User | None = scope.get("user")
        if user is None or scope["method"] != "GET" or _OPT not in scope["route_handler"].opt:
            await next_app(scope, receive, send)
            return
        fresh = await scope["route_handler"].opt[_OPT](user, scope["path_params"], scope["query_string"])
        if fresh is None:
            await next_app(scope, receive, send)
            return
        key = (user.id, scope["path"], scope["query_string"], i18n.current_locale())
        stamp = self.cache.stamp(fresh, user)
        token = cookies_of(scope).get(self.csrf.cookie_name, "").encode("latin-1")
        copy = self.cache.get(key, stamp)
        # A cookie that holds no token of ours is left to the CSRF check (a page rendered fresh).
        if copy is not None and (not token or TOKEN.fullmatch(token)):
            await send_copy(send, copy, self.csrf, token)
            return
        await self._render(key, stamp, scope, receive, send, next_app)

    async def _render(
        self, key: tuple, stamp: tuple, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp
    ) -> None:
        start, body = await rendered(scope, receive, send, next_app)
        if start is None or start["status"] != 200:
            return
        copy = copy_of(scope, start, body, self.csrf)
        if copy is not None:
            self.cache.put(key, stamp, copy)
