"""How current a rendered ticket page or ticket list still is: one indexed question whose answer changes
whenever anything the page shows about its tickets changes. The database moves a ticket's version on
every change to it or to its messages, files, timeline, ratings and followers (triggers, so no writer
can forget), from one counter for all tickets, so a page rendered at the versions it read is still true
while they are the same, and the highest version says whether any ticket changed at all."""

from __future__ import annotations

from auth.tables import User
from portal.tickets import self_service, visibility
from portal.tickets.tables import Ticket

# A merged ticket's page also says whether the viewer may open the survivor: its version counts too.
_TICKET = (
    "SELECT t.version, s.version AS survivor FROM ticket t LEFT JOIN ticket s ON s.id = t.merged_into WHERE t.id = {}"
)
# A list changes when one of its tickets does (each change takes a higher version, so the sum grows),
# when one is added (the count and the newest id) or when one leaves it (the count).
_LIST = "SELECT COUNT(*) AS n, SUM(t.version) AS versions, MAX(t.id) AS newest FROM ticket t WHERE {where}"


async def of_ticket(number: int) -> tuple | None:
    """The ticket's version (and its survivor's); None for a ticket that does not exist."""
    rows = await Ticket.raw(_TICKET, visibility.id_of(number))
    return (rows[0]["version"], rows[0]["survivor"]) if rows else None


async def of_list(user: User, tab: str) -> tuple:
    """The versions of the tickets a customer's list tab holds, whatever page or filter shows them,
    and whether their organization shares tickets (the list's second tab)."""
    shared = await visibility.shared_organization(user)
    tab = "organization" if tab == "organization" and shared else "mine"
    where, params = self_service.conditions(user, tab, shared, self_service.Filters(tab))
    row = (await Ticket.raw(_LIST.format(where=where), *params))[0]
    return (shared, row["n"], row["versions"], row["newest"])


# The staff queue shows every ticket: the highest version moves with any change. The agent's saved
# choice decides what a bare /staff/tickets shows. On PostgreSQL a writer still running when the page
# was read may commit a lower version than one already committed: the transactions still running
# (none, mostly) are part of the answer, so the page counts as changed once any of them ends.
_QUEUE = (
    "SELECT (SELECT MAX(version) FROM ticket) AS newest, "
    "(SELECT query FROM staff_queue_choice WHERE agent = {}) AS choice"
)
_QUEUE_POSTGRES = _QUEUE + ", ARRAY(SELECT pg_snapshot_xip(pg_current_snapshot()))::text AS running"


async def of_queue(agent: User) -> tuple:
    """Whether anything on the agent's queue pages may have changed: any ticket, or their saved choice."""
    postgres = Ticket._meta.db.engine_type == "postgres"
    rows = await Ticket.raw(_QUEUE_POSTGRES if postgres else _QUEUE, agent.id)
    return tuple(rows[0].values())
