"""Merging duplicates: everything of the duplicate stays reachable from the survivor, both requesters
are told, the duplicate's customer follows the pointer only where they may look; and the queue API."""

import io

from auth import api_tokens, organizations
from portal.notify.tables import OutboxMessage
from portal.tickets import uploads
from portal.tickets.attachments import Incoming
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Attachment, Event, Message, Ticket
from portal.tickets.visibility import number_of
from tests.helpers import create_user, last_mail, post_form, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))


async def _as(client, email: str) -> None:
    client.cookies.clear()
    assert (await sign_in(client, email)).status_code == 302


async def _duplicate_pair(settings, people) -> tuple[Ticket, Ticket]:
    """Ann's ticket with a file on its description and a reply with a file; Bob's ticket on the same matter."""
    draft = NewTicket(type="incident", subject="Printer on fire", description="Smoke from **tray 2**")
    duplicate = await uploads.file_ticket(settings, people["ann"], draft, [Incoming("smoke.png", io.BytesIO(PNG))])
    await uploads.reply(
        settings, people["ann"], duplicate, "More smoke now", [Incoming("log.txt", io.BytesIO(b"hot\n"))]
    )
    survivor = await open_ticket(settings, people["bob"], NewTicket("incident", "Printer burning", "Tray 2 again"))
    return duplicate, survivor


async def test_merging_keeps_everything_reachable_and_tells_both_requesters(client, settings, people):
    duplicate, survivor = await _duplicate_pair(settings, people)
    files = {row["id"] for row in await Attachment.select(Attachment.id)}
    a, b = number_of(duplicate.id), number_of(survivor.id)
    await _as(client, "agent@example.com")
    response = await post_form(client, f"/staff/tickets/{a}/merge", {"into": str(b)})
    assert response.status_code == 302 and response.headers["location"] == f"/staff/tickets/{b}?done=ticket_merged"

    page = (await client.get(f"/staff/tickets/{b}")).text
    assert "Smoke from" in page and "More smoke now" in page and f"Ticket #{a} was merged into this one" in page
    for file_id in files:
        assert f"/tickets/{b}/files/{file_id}" in page
        assert (await client.get(f"/tickets/{b}/files/{file_id}")).status_code == 200
    assert await Message.count().where(Message.ticket == duplicate.id) == 0
    closed = await Ticket.objects().where(Ticket.id == duplicate.id).first()
    assert closed.status == "closed" and closed.merged_into == survivor.id
    assert f"Merged into ticket #{b}" in (await client.get(f"/staff/tickets/{a}")).text
    assert await Event.count().where((Event.ticket == duplicate.id) & (Event.kind == "merged_into")) == 1

    to_ann, to_bob = await last_mail("ann@example.com"), await last_mail("bob@example.com")
    assert f"#{a}" in to_ann.subject and "merged it into that one" in to_ann.body_text
    assert f"/tickets/{b}" not in to_ann.body_text  # Ann may not see Bob's ticket
    assert f"#{b}" in to_bob.subject and f"Request #{a}" in to_bob.body_text

    # Ann's things now sit on Bob's ticket as internal notes: Bob sees neither them nor their files.
    await _as(client, "bob@example.com")
    bobs = await client.get(f"/tickets/{b}")
    assert bobs.status_code == 200 and "Smoke from" not in bobs.text and "More smoke" not in bobs.text
    for file_id in files:
        assert (await client.get(f"/tickets/{b}/files/{file_id}")).status_code == 404

    await _as(client, "ann@example.com")
    own = await client.get(f"/tickets/{a}")
    assert (
        own.status_code == 200 and "merged into another request" in own.text and f'href="/tickets/{b}"' not in own.text
    )
    assert (await client.get(f"/tickets/{b}")).status_code == 404


async def test_a_customer_who_may_see_the_survivor_follows_the_pointer(client, settings, people):
    acme = await organizations.create("Acme", shares_tickets=True)
    cleo = await create_user(settings, "cleo@example.com", name="Cleo", organization_id=acme.id)
    dan = await create_user(settings, "dan@example.com", name="Dan", organization_id=acme.id)
    duplicate = await open_ticket(settings, cleo, NewTicket("incident", "VPN down", "Since 9"))
    await uploads.reply(settings, cleo, duplicate, "Still down")
    survivor = await open_ticket(settings, dan, NewTicket("incident", "VPN outage", "All of us"))
    a, b = number_of(duplicate.id), number_of(survivor.id)
    await _as(client, "agent@example.com")
    assert (await post_form(client, f"/staff/tickets/{a}/merge", {"into": str(b)})).status_code == 302
    assert f"/tickets/{b}" in (await last_mail("cleo@example.com")).body_text

    await _as(client, "cleo@example.com")
    own = await client.get(f"/tickets/{a}")
    assert f'href="/tickets/{b}"' in own.text
    theirs = await client.get(f"/tickets/{b}")
    assert theirs.status_code == 200 and "Still down" in theirs.text and f"Ticket #{a} was merged" in theirs.text


async def test_merges_in_a_circle_into_closed_tickets_or_on_chains_are_refused(client, settings, people):
    first, second = await _duplicate_pair(settings, people)
    third = await open_ticket(settings, people["bob"], NewTicket("incident", "Third", "Same"))
    a, b, c = (number_of(t.id) for t in (first, second, third))
    await _as(client, "agent@example.com")

    async def merge(number: int, into: str):
        return await post_form(client, f"/staff/tickets/{number}/merge", {"into": into})

    itself = await merge(a, str(a))
    assert itself.status_code == 400 and "cannot be merged into itself" in itself.text
    assert (await merge(a, "99999")).status_code == 400
    assert (await merge(a, "abc")).status_code == 400
    assert (await merge(a, str(b))).status_code == 302
    into_merged = await merge(c, str(a))
    assert into_merged.status_code == 400 and "closed or merged ticket" in into_merged.text
    chain = await merge(b, str(c))
    assert chain.status_code == 400 and "Other tickets were merged into this one" in chain.text
    assert (await Ticket.objects().where(Ticket.id == third.id).first()).status == "new"


async def test_bulk_merge_folds_the_selected_into_the_chosen_survivor(client, settings, people):
    tickets = [await open_ticket(settings, people["ann"], NewTicket("incident", f"Same {i}", "x")) for i in range(3)]
    other = await open_ticket(settings, people["ann"], NewTicket("incident", "Unrelated", "y"))
    numbers = [str(number_of(t.id)) for t in tickets]
    await _as(client, "agent@example.com")
    refused = await post_form(client, "/staff/tickets/bulk", {"action": "merge", "tickets": numbers, "into": "1"})
    assert refused.status_code == 400 and "one of the selected tickets" in refused.text
    done = await post_form(client, "/staff/tickets/bulk", {"action": "merge", "tickets": numbers, "into": numbers[1]})
    assert done.status_code == 200 and "Done for 2 tickets" in done.text
    merged = {row["id"]: row["merged_into"] for row in await Ticket.select(Ticket.id, Ticket.merged_into)}
    assert merged == {tickets[0].id: tickets[1].id, tickets[1].id: None, tickets[2].id: tickets[1].id, other.id: None}
    # One requester for all three: one mail per merged ticket, nothing for the survivor's own.
    assert await OutboxMessage.count().where(OutboxMessage.body_text.like("%so we merged them%")) == 2


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_api_lists_queues_with_counts_and_merges_for_staff_only(client, settings, people):
    duplicate, survivor = await _duplicate_pair(settings, people)
    staff, customer = await api_tokens.create(people["agent"], "desk"), await api_tokens.create(people["ann"], "me")

    queue = await client.get(
        "/api/tickets", params={"view": "pool", "sort": "created", "order": "asc"}, headers=bearer(staff)
    )
    assert queue.status_code == 200, queue.text
    body = queue.json()
    assert [t["number"] for t in body["tickets"]] == [number_of(duplicate.id), number_of(survivor.id)]
    assert body["counts"]["pool"] == 2 and body["counts"]["mine"] == 0 and body["view"] == "pool"
    bad = await client.get("/api/tickets", params={"view": "overdue", "status": "overdue"}, headers=bearer(staff))
    assert bad.status_code == 400 and bad.json()["code"] == "queue_value_unknown" and bad.json()["field"] == "status"
    assert (await client.get("/api/tickets", params={"view": "mine"}, headers=bearer(customer))).status_code == 404
    assert (await client.get("/api/tickets", headers=bearer(customer))).status_code == 200

    a, b = number_of(duplicate.id), number_of(survivor.id)
    refused = await client.post(f"/api/tickets/{a}/merge", json={"into": b}, headers=bearer(customer))
    assert refused.status_code == 404
    itself = await client.post(f"/api/tickets/{a}/merge", json={"into": a}, headers=bearer(staff))
    assert itself.status_code == 400 and itself.json()["code"] == "merge_into_itself"
    merged = await client.post(f"/api/tickets/{a}/merge", json={"into": b}, headers=bearer(staff))
    assert merged.status_code == 200 and merged.json()["number"] == b
    assert "More smoke now" in {m["body"] for m in merged.json()["messages"]}
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/tickets/{number}/merge" in schema["paths"]
    assert "view" in {p["name"] for p in schema["paths"]["/api/tickets"]["get"]["parameters"]}
