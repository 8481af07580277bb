"""How current the ticket pages kept per viewer are (portal.web.viewer_cache), from their URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from auth.tables import User
from portal.tickets import freshness
from portal.web.viewer_cache import cached_per_viewer


async def _ticket(_viewer: User, params: dict[str, Any], _query: bytes) -> tuple | None:
    return await freshness.of_ticket(int(params["number"]))


async def _list(viewer: User, _params: dict[str, Any], query: bytes) -> tuple:
    tab = parse_qs(query.decode("latin-1")).get("tab", ["mine"])[-1]
    return await freshness.of_list(viewer, tab)


async def _queue(viewer: User, _params: dict[str, Any], _query: bytes) -> tuple:
    return await freshness.of_queue(viewer)


TICKET = cached_per_viewer(_ticket)  # a ticket's page or its API read, /…/{number}
TICKET_LIST = cached_per_viewer(_list)  # the customer's list, any page or filter
QUEUE = cached_per_viewer(_queue)  # the staff queue, any view, sort or filter
