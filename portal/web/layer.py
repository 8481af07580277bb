"""The base of the portal's middleware: a plain ASGI layer, without Litestar's per-call wrapper."""

from __future__ import annotations

import abc
from functools import partial

from litestar.types import ASGIApp, Receive, Scope, Send


class HTTPMiddleware(abc.ABC):
    """One layer of the stack Litestar builds for every route (it calls the instance with the next app).

    Litestar's ASGIMiddleware puts a wrapper around each layer that checks on every request whether to
    skip it (scope type, opt key, path pattern): nine wrappers, two coroutines a layer, on every page.
    Here `handle` is the layer itself, and a layer that skips some requests says which in its first lines.
    Every route is an HTTP route (create_app refuses others), so none checks the scope's type."""

    def __call__(self, app: ASGIApp) -> ASGIApp:
        return partial(self.handle, next_app=app)

    @abc.abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None: ...
