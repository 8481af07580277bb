"""Each agent's last choice on the staff queue (view, sort, filters), kept in the database and
applied when they open the queue bare."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from auth.tables import User
from portal.db import is_unique_violation, write_transaction
from portal.tickets.errors import TicketError
from portal.tickets.queue_views import DEFAULT, Choice, choose
from portal.tickets.tables import QueueChoice


async def _saved(agent_id: int) -> dict[str, str]:
    row = await QueueChoice.select(QueueChoice.query).where(QueueChoice.agent == agent_id).first()
    return dict(parse_qsl(row["query"])) if row else {}


async def remember(agent_id: int, choice: Choice) -> None:
    """Keep the choice (without its page) for next time; the defaults need no row."""
    query = urlencode(choice.query(page=1))
    if dict(parse_qsl(query)) == await _saved(agent_id):
        return  # most page views change nothing: no write
    try:
        async with write_transaction():
            await QueueChoice.delete().where(QueueChoice.agent == agent_id)
            if query:
                await QueueChoice.insert(QueueChoice(agent=agent_id, query=query, updated_at=datetime.now(UTC)))
    except Exception as exc:
        if not is_unique_violation(exc):  # the same agent's other tab saved at the same moment: either will do
            raise


async def current(viewer: User, raw: dict[str, str]) -> Choice:
    """The choice of this request: the query's when it has one (remembered), else the one remembered,
    else the defaults. TicketError("queue_value_unknown", name) for a value the queue does not know."""
    if raw:
        choice = await choose(viewer, raw)
        await remember(viewer.id, choice)
        return choice
    saved = await _saved(viewer.id)
    if not saved:
        return DEFAULT
    try:
        return await choose(viewer, saved)
    except TicketError:  # a group since left, a type since deleted: start afresh
        await remember(viewer.id, DEFAULT)
        return DEFAULT
