"""The staff queues: each view's tickets and counts, sorting, filters refused by name, the agent's saved
choice, a supervisor's wider view, and bulk actions on exactly the selected tickets."""

from datetime import UTC, datetime, timedelta

import pytest

from auth.tables import Role
from portal.tickets import groups
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.queue_views import Choice, listing
from portal.tickets.tables import Event, QueueChoice, Ticket
from portal.tickets.visibility import number_of
from tests.helpers import create_user, post_form, sign_in


@pytest.fixture
async def people(settings):
    return {
        "ann": await create_user(settings, "ann@example.com", name="Ann Customer"),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "olga": await create_user(settings, "olga@example.com", Role.AGENT, name="Olga Agent"),
        "boss": await create_user(settings, "boss@example.com", Role.SUPERVISOR, name="Boris Supervisor"),
    }


async def _file(settings, who, subject, **changes) -> Ticket:
    return await open_ticket(settings, who, NewTicket(type="incident", subject=subject, description="Help", **changes))


async def _set(ticket: Ticket, **values) -> None:
    await Ticket.update({getattr(Ticket, k): v for k, v in values.items()}).where(Ticket.id == ticket.id)


async def _as(client, email: str) -> None:
    client.cookies.clear()
    assert (await sign_in(client, email)).status_code == 302


@pytest.fixture
async def board(settings, people):
    """One ticket per view, a closed one no view counts, and the agent in the "Repairs" group."""
    now = datetime.now(UTC)
    repairs = await groups.create_group("Repairs")
    sales = await groups.create_group("Sales")
    await groups.add_member(repairs.id, people["agent"].id, False)
    t = {
        name: await _file(settings, people["ann"], name)
        for name in ("mine", "group", "other_group", "overdue", "soon", "escalated", "waiting", "closed", "calm")
    }
    long_ago = now - timedelta(days=3)
    await Ticket.update({Ticket.updated_at: long_ago, Ticket.first_response_due: now + timedelta(days=2)}, force=True)
    await Ticket.update({Ticket.first_response_warn_at: now + timedelta(days=1)}, force=True)
    await _set(t["mine"], assignee=people["agent"].id)
    await _set(t["group"], staff_group=repairs.id, assignee=people["olga"].id)
    await _set(t["other_group"], staff_group=sales.id, assignee=people["olga"].id)
    await _set(
        t["overdue"], first_response_due=now - timedelta(hours=1), first_response_warn_at=now - timedelta(hours=3)
    )
    await _set(
        t["soon"], first_response_due=now + timedelta(minutes=20), first_response_warn_at=now - timedelta(minutes=5)
    )
    await _set(t["escalated"], escalated_at=now - timedelta(minutes=10), assignee=people["olga"].id)
    await _set(t["waiting"], status="pending", paused_at=now, assignee=people["olga"].id)
    await _set(t["closed"], status="closed", assignee=people["agent"].id)
    await _set(t["calm"], updated_at=now)
    return t


async def test_each_view_holds_its_tickets_and_counts_them(settings, people, board):
    now = datetime.now(UTC)
    ids = {ticket.id: name for name, ticket in board.items()}

    async def members(viewer, view: str) -> set[str]:
        return {ids[row["id"]] for row in (await listing(viewer, Choice(view=view), now)).rows}

    agent = people["agent"]
    unassigned = {"overdue", "soon", "calm"}
    assert await members(agent, "mine") == {"mine"}
    assert await members(agent, "groups") == {"group"}
    assert await members(people["boss"], "groups") == {"group", "other_group"}
    assert await members(agent, "pool") == unassigned
    assert await members(agent, "overdue") == {"overdue"}
    assert await members(agent, "due_soon") == {"soon"}
    assert await members(agent, "escalated") == {"escalated"}
    assert await members(agent, "waiting") == {"waiting"}
    assert await members(agent, "recent") == {"calm"}
    assert await members(agent, "all") == set(board) - {"closed"}
    found = await listing(agent, Choice(view="all"), now)
    assert found.counts == {
        "mine": 1,
        "groups": 1,
        "pool": 3,
        "due_soon": 1,
        "overdue": 1,
        "escalated": 1,
        "waiting": 1,
        "recent": 1,
        "all": 8,
    }
    assert (await listing(people["boss"], Choice(), now)).counts["groups"] == 2
    flags = {ids[row["id"]]: row["reaction"] for row in found.rows}
    assert flags["overdue"] == "breached" and flags["soon"] == "nearly" and flags["calm"] == ""


async def test_the_page_shows_each_view_with_its_count_and_flags_in_words(client, people, board):
    await _as(client, "agent@example.com")
    page = await client.get("/staff/tickets", params={"view": "pool"})
    assert page.status_code == 200
    for view, label in (("overdue", "Overdue"), ("waiting", "Waiting for the customer"), ("pool", "Unassigned")):
        assert f'view={view}"' in page.text and label in page.text
    assert 'aria-current="page">Unassigned <span class="count">3</span>' in page.text
    assert "Reaction overdue" in page.text and "Reaction due soon" in page.text


async def test_each_sort_orders_both_ways(settings, people):
    now = datetime.now(UTC)
    a = await _file(settings, people["ann"], "a", priority="low")
    b = await _file(settings, people["ann"], "b")
    c = await _file(settings, people["ann"], "c", priority="high")
    await _set(a, created_at=now - timedelta(days=3), updated_at=now - timedelta(hours=1), first_response_due=now)
    await _set(
        b,
        priority="urgent",
        created_at=now - timedelta(days=2),
        updated_at=now - timedelta(hours=3),
        first_response_due=None,
    )
    await _set(c, created_at=now - timedelta(days=1), updated_at=now - timedelta(hours=2))
    await _set(c, first_response_due=now + timedelta(hours=1))

    async def order(sort: str, direction: str, status: str) -> str:
        found = await listing(people["agent"], Choice(sort=sort, order=direction, status=status), now)
        return "".join(row["subject"] for row in found.rows)

    # Among the open tickets (found, then sorted) and among all (read along the order's index).
    for status in ("active", "all"):
        assert await order("priority", "desc", status) == "bca" and await order("priority", "asc", status) == "acb"
        assert await order("created", "desc", status) == "cba" and await order("created", "asc", status) == "abc"
        assert await order("updated", "desc", status) == "acb" and await order("updated", "asc", status) == "bca"
        # A ticket without a deadline stays last whichever way the deadlines run.
        assert await order("deadline", "asc", status) == "acb" and await order("deadline", "desc", status) == "cab"


async def test_a_narrow_view_over_done_tickets_keeps_its_condition_and_the_filters(settings, people, board):
    now = datetime.now(UTC)
    await _set(board["closed"], updated_at=now, escalated_at=now - timedelta(days=1))
    ids = {ticket.id: name for name, ticket in board.items()}

    async def members(view: str, **filters) -> set[str]:
        return {ids[row["id"]] for row in (await listing(people["agent"], Choice(view=view, **filters), now)).rows}

    assert await members("recent", status="all") == {"calm", "closed"}
    assert await members("recent", status="all", q="cal") == {"calm"}
    assert await members("recent", status="closed") == {"closed"}
    assert await members("escalated", status="all") == {"escalated", "closed"}
    assert await members("escalated", status="closed", assignee=str(people["olga"].id)) == set()
    assert await members("overdue", status="all") == {"overdue"}
    assert await members("waiting", status="closed") == set()
    assert await members("pool", status="all", priority="normal") == {"overdue", "soon", "calm"}


async def test_the_agents_choice_is_remembered_and_reset(client, people, board):
    await _as(client, "agent@example.com")
    chosen = await client.get("/staff/tickets", params={"view": "overdue", "sort": "priority", "status": "all"})
    assert chosen.status_code == 200
    bare = await client.get("/staff/tickets")
    assert 'aria-current="page">Overdue' in bare.text and 'value="priority" selected' in bare.text
    await _as(client, "olga@example.com")  # another agent's choice is their own
    assert 'aria-current="page">All' in (await client.get("/staff/tickets")).text
    await _as(client, "agent@example.com")
    assert "Reset to the defaults" in bare.text
    await client.get("/staff/tickets", params={"view": "all"})
    assert 'aria-current="page">All' in (await client.get("/staff/tickets")).text
    assert await QueueChoice.count().where(QueueChoice.agent == people["olga"].id) == 0


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"status": "overdue"}, "(Status)"),
        ({"view": "someday"}, "(Queue)"),
        ({"sort": "mood"}, "(Sort by)"),
        ({"order": "sideways"}, "(Order)"),
        ({"channel": "pigeon"}, "(Channel)"),
        ({"assignee": "Alex"}, "(Assignee)"),
        ({"assigned": "mine"}, "(assigned)"),
    ],
)
async def test_an_unknown_value_is_refused_by_name(client, people, query, named):
    await _as(client, "agent@example.com")
    page = await client.get("/staff/tickets", params=query)
    assert page.status_code == 400
    assert "The queue does not know this value" in page.text and named in page.text


async def test_an_agent_filters_by_their_own_groups_only_and_a_supervisor_by_any(client, people, board):
    sales = (await Ticket.objects().where(Ticket.id == board["other_group"].id).first()).staff_group
    await _as(client, "agent@example.com")
    assert (await client.get("/staff/tickets", params={"group": str(sales)})).status_code == 400
    await _as(client, "boss@example.com")
    page = await client.get("/staff/tickets", params={"group": str(sales)})
    assert page.status_code == 200 and ">other_group<" in page.text and ">group<" not in page.text


async def test_bulk_actions_touch_exactly_the_selected_and_refuse_the_rest(client, settings, people, board):
    await _as(client, "agent@example.com")
    picked = [number_of(board["overdue"].id), number_of(board["soon"].id)]
    response = await post_form(
        client, "/staff/tickets/bulk", {"action": "take", "tickets": [*map(str, picked), "99999"]}
    )
    assert response.status_code == 200
    assert "Done for 2 tickets" in response.text and "#99999" in response.text
    mine = {row["id"] for row in await Ticket.select(Ticket.id).where(Ticket.assignee == people["agent"].id)}
    assert mine == {board["overdue"].id, board["soon"].id, board["mine"].id, board["closed"].id}
    taken = await Event.select(Event.ticket).where(Event.kind == "assigned")
    assert sorted(row["ticket"] for row in taken) == sorted([board["overdue"].id, board["soon"].id])

    response = await post_form(
        client, "/staff/tickets/bulk", {"action": "priority", "priority": "urgent", "tickets": str(picked[0])}
    )
    assert "Done for 1 ticket" in response.text
    urgent = await Ticket.select(Ticket.id).where(Ticket.priority == "urgent")
    assert [row["id"] for row in urgent] == [board["overdue"].id]

    response = await post_form(
        client,
        "/staff/tickets/bulk",
        {"action": "status", "status": "open", "tickets": [str(picked[1]), str(number_of(board["closed"].id))]},
    )
    assert "Done for 1 ticket" in response.text and "cannot move to this status" in response.text
    statuses = {row["id"]: row["status"] for row in await Ticket.select(Ticket.id, Ticket.status)}
    assert statuses[board["soon"].id] == "open" and statuses[board["closed"].id] == "closed"
    assert statuses[board["calm"].id] == "new"

    response = await post_form(
        client,
        "/staff/tickets/bulk",
        {"action": "assign", "agent": str(people["olga"].id), "tickets": str(number_of(board["calm"].id))},
    )
    assert (await Ticket.objects().where(Ticket.id == board["calm"].id).first()).assignee == people["olga"].id

    nothing = await post_form(client, "/staff/tickets/bulk", {"action": "take"})
    assert nothing.status_code == 400 and "Select at least one ticket" in nothing.text
    bogus = await post_form(client, "/staff/tickets/bulk", {"action": "burn", "tickets": str(picked[0])})
    assert bogus.status_code == 400 and "Choose what to do" in bogus.text


async def test_customers_get_404_on_the_queue_and_its_actions(client, people, board):
    await _as(client, "ann@example.com")
    assert (await client.get("/staff/tickets?view=overdue")).status_code == 404
    number = str(number_of(board["calm"].id))
    assert (await post_form(client, "/staff/tickets/bulk", {"action": "take", "tickets": number})).status_code == 404
    merge = await post_form(client, f"/staff/tickets/{number}/merge", {"into": str(number_of(board["soon"].id))})
    assert merge.status_code == 404
    assert (await Ticket.objects().where(Ticket.id == board["calm"].id).first()).assignee is None
