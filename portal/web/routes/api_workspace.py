"""The agent's tools as JSON for staff tokens: canned replies (filled for a ticket on request) and a
ticket's followers. Customers' tokens find none of these routes (404)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import delete, get, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath, FromQuery

from auth.tables import User
from portal.tickets import canned, followers, visibility
from portal.web.api_auth import SECURITY, TOKEN_ONLY
from portal.web.guards import Access

STAFF_API = {**TOKEN_ONLY, "access": Access.STAFF, "security": SECURITY, "include_in_schema": True}


class CannedIn(msgspec.Struct):
    title: str
    body: str
    locale: str = "en"
    shared: bool = False  # for everyone: administrators only


class CannedOut(msgspec.Struct):
    id: int
    title: str
    body: str  # with the placeholders filled when the ticket was given
    locale: str
    shared: bool


class FollowerIn(msgspec.Struct):
    user: int | str  # an id or an email
    role: str = followers.CO_EXECUTOR  # "co-executor" or "cc"


class FollowerOut(msgspec.Struct):
    id: int
    name: str
    email: str
    role: str


def _out(row: dict, body: str | None = None) -> CannedOut:
    return CannedOut(row["id"], row["title"], body or row["body"], row["locale"], row["owner"] is None)


@get("/api/canned-replies", tags=["canned replies"], **STAFF_API)
async def list_canned(
    viewer: NamedDependency[User], ticket: FromQuery[int | None] = None, locale: FromQuery[str] = ""
) -> list[CannedOut]:
    """The shared replies and the caller's own; with `ticket` (its number), each body filled for it."""
    if ticket is None:
        return [_out(row) for row in await canned.visible_to(viewer, locale or None)]
    rows = await canned.filled_for(viewer, await visibility.get_for(viewer, ticket))
    return [_out(row, row["filled"]) for row in rows if not locale or row["locale"] == locale]


@post("/api/canned-replies", status_code=201, tags=["canned replies"], **STAFF_API)
async def create_canned(data: Annotated[CannedIn, Body()], viewer: NamedDependency[User]) -> CannedOut:
    """A personal reply, or a shared one ("shared": true, administrators only); unknown placeholders are refused."""
    reply = await canned.create(viewer, canned.Draft(data.title, data.body, data.locale, data.shared))
    return CannedOut(reply.id, reply.title, reply.body, reply.locale, reply.owner is None)


async def _followers(ticket_id: int) -> list[FollowerOut]:
    return [FollowerOut(f.id, f.name, f.email, f.role) for f in await followers.of_ticket(ticket_id)]


@post("/api/tickets/{number:int}/followers", status_code=200, tags=["tickets"], **STAFF_API)
async def add_follower(
    data: Annotated[FollowerIn, Body()], viewer: NamedDependency[User], number: FromPath[int]
) -> list[FollowerOut]:
    """Add a co-executor (staff) or a customer of the ticket's organization in copy; the followers after it."""
    ticket = await visibility.get_for(viewer, number)
    await followers.add(viewer, ticket, data.user, data.role)
    return await _followers(ticket.id)


@delete("/api/tickets/{number:int}/followers", status_code=200, tags=["tickets"], **STAFF_API)
async def remove_follower(
    data: Annotated[FollowerIn, Body()], viewer: NamedDependency[User], number: FromPath[int]
) -> list[FollowerOut]:
    """Remove a follower ("role" is not needed); the followers after it."""
    ticket = await visibility.get_for(viewer, number)
    await followers.remove(viewer, ticket, data.user)
    return await _followers(ticket.id)


ROUTES = [list_canned, create_canned, add_follower, remove_follower]
