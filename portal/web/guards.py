"""Who may call a route: every handler declares an access level in its opt; none declared means no access."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from auth.tables import Role


class Access(IntEnum):
    READER = -1  # the knowledge base: anyone while PORTAL_KB_PUBLIC is on, else signed-in users
    PUBLIC = 0
    USER = 1
    STAFF = 2
    SUPERVISOR = 3
    ADMIN = 4


ROLE_LEVEL = {
    Role.CUSTOMER: Access.USER,
    Role.AGENT: Access.STAFF,
    Role.SUPERVISOR: Access.SUPERVISOR,
    Role.ADMIN: Access.ADMIN,
}

PUBLIC: dict[str, Any] = {"access": Access.PUBLIC}
SIGNED_IN: dict[str, Any] = {"access": Access.USER}
STAFF: dict[str, Any] = {"access": Access.STAFF}
SUPERVISOR: dict[str, Any] = {"access": Access.SUPERVISOR}
ADMIN: dict[str, Any] = {"access": Access.ADMIN}
READER: dict[str, Any] = {"access": Access.READER}
# Added to the opt of GET routes that answer JSON: they carry no form, so the CSRF middleware need not
# hand out a token cookie on every probe or API read (the check itself only guards unsafe methods).
NO_FORM: dict[str, Any] = {"exclude_from_csrf": True}


def level_of(role: str) -> Access:
    return ROLE_LEVEL[Role(role)]


# Async although it never awaits: Litestar runs a sync guard in a worker thread, and that hop
# cost 0.3-0.4 ms of CPU on every request under load (measured on the tickets API).
async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    required = handler.opt.get("access")
    if required is None:
        raise PermissionDeniedException("this route declares no access rule")
    if required == Access.READER:
        required = Access.PUBLIC if connection.app.state.settings.kb_public else Access.USER
    if required == Access.PUBLIC:
        return
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    level = level_of(user.role)
    if level < required:
        # To a customer, staff pages do not exist: the same 404 as any unknown address.
        raise NotFoundException() if level < Access.STAFF else PermissionDeniedException()


async def _authorize_connection(self: BaseRouteHandler, connection: ASGIConnection) -> None:
    for guard in self.resolve_guards():
        await guard(connection, self)


def guards_see_the_handler() -> None:
    """Hand guards the route handler itself.

    Litestar (2.25, pinned) passes every guard a copy of the handler (copy.copy of an object with some
    forty attributes) on every request, so that a guard cannot change it: about one percent of the search
    page. The portal's one guard, access_guard, only reads the handler's opt."""
    BaseRouteHandler.authorize_connection = _authorize_connection  # type: ignore[method-assign]
