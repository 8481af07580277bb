"""The tickets JSON API and personal API tokens: made on the profile or the command line, shown once,
the only way in to /api/tickets; filing, reading, replying and rating with JSON errors."""

import asyncio
import re
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from litestar.testing import TestClient

from auth import api_tokens
from auth.tables import ApiToken, Role, User
from auth.tokens import hash_secret
from portal import cli
from portal.notify.tables import OutboxMessage
from portal.tickets import conversation
from portal.tickets.tables import Ticket
from portal.web.api_auth import FAILURES_PER_ADDRESS
from portal.web.app import create_app
from tests.conftest import browser, make_settings
from tests.helpers import create_user, csrf_token, post_form, sign_in

NEW = {"type": "question", "subject": "Invoice is missing", "description": "I cannot find invoice 42."}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _customer(settings, email="ann@example.com", name="Ann"):
    user = await create_user(settings, email, name=name)
    return user, await api_tokens.create(user, "tests")


async def _file(client, token, **changes):
    response = await client.post("/api/tickets", json={**NEW, **changes}, headers=bearer(token))
    assert response.status_code == 201, response.text
    return response.json()["number"]


async def test_a_token_made_on_the_profile_is_shown_once_stored_hashed_and_revocable(client, settings):
    await create_user(settings, "ann@example.com")
    await sign_in(client, "ann@example.com")
    made = await post_form(client, "/profile/tokens", {"token_name": "Billing robot"})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    raw = re.search(r'value="(pt_[^"]+)"', made.text).group(1)
    stored = await ApiToken.objects().first()
    assert stored.token_hash == hash_secret(raw) and raw not in str(await ApiToken.select())
    assert (await client.get("/api/tickets", headers=bearer(raw))).status_code == 200

    page = await client.get("/profile")
    assert "Billing robot" in page.text and raw not in page.text
    assert (await ApiToken.objects().first()).last_used_at is not None

    revoked = await post_form(client, f"/profile/tokens/{stored.id}/revoke", {})
    assert revoked.status_code == 302
    assert "Billing robot" not in (await client.get("/profile")).text
    refused = await client.get("/api/tickets", headers=bearer(raw))
    assert refused.status_code == 401 and refused.json()["status"] == 401


async def test_a_token_needs_a_name_and_only_its_owner_revokes_it(client, settings):
    _ann, _raw = await _customer(settings)
    await create_user(settings, "bob@example.com")
    await sign_in(client, "bob@example.com")
    assert (await post_form(client, "/profile/tokens", {"token_name": "  "})).status_code == 400
    anns = await ApiToken.objects().first()
    assert (await post_form(client, f"/profile/tokens/{anns.id}/revoke", {})).status_code == 404
    assert (await ApiToken.objects().first()).revoked_at is None


def test_the_command_line_prints_a_working_token(settings, database_url):
    asyncio.run(create_user(settings, "ann@example.com"))
    env = {"PORTAL_DATA_DIR": str(settings.data_dir), "PORTAL_DATABASE_URL": database_url}
    result = CliRunner().invoke(cli.main, ["token", "create", "--email", "ann@example.com", "--name", "ci"], env=env)
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("pt_")
    with TestClient(create_app(settings), base_url="http://portal.test") as client:
        response = client.post("/api/tickets", json=NEW, headers=bearer(raw))
        assert response.status_code == 201, response.text
    unknown = CliRunner().invoke(cli.main, ["token", "create", "--email", "nobody@example.com"], env=env)
    assert unknown.exit_code != 0 and "no active account" in unknown.output


async def test_without_a_valid_token_the_api_answers_401_json(client, settings):
    ann, raw = await _customer(settings)
    for response in (
        await client.get("/api/tickets"),
        await client.post("/api/tickets", json=NEW),
        await client.get("/api/tickets", headers=bearer("pt_not-a-token")),
        await client.get("/api/tickets", headers={"Authorization": "Basic YW5uOng="}),
    ):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["status"] == 401
    await api_tokens.revoke(ann, (await ApiToken.objects().first()).id)
    assert (await client.get("/api/tickets", headers=bearer(raw))).status_code == 401
    _bob, bobs = await _customer(settings, "bob@example.com", "Bob")
    await User.update({User.is_active: False}).where(User.email == "bob@example.com")
    assert (await client.get("/api/tickets", headers=bearer(bobs))).status_code == 401


async def test_use_is_recorded_at_most_once_a_minute(settings):
    ann, raw = await _customer(settings)
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert (await api_tokens.authenticate(raw, now=start)).id == ann.id
    await api_tokens.authenticate(raw, now=start + timedelta(seconds=30))
    assert (await ApiToken.objects().first()).last_used_at == start
    await api_tokens.authenticate(raw, now=start + timedelta(seconds=61))
    assert (await ApiToken.objects().first()).last_used_at == start + timedelta(seconds=61)
    assert await api_tokens.authenticate(raw[:-1]) is None and await api_tokens.authenticate("") is None


async def test_wrong_tokens_are_limited_per_address(client):
    for _ in range(FAILURES_PER_ADDRESS.limit):
        assert (await client.get("/api/tickets", headers=bearer("pt_guess"))).status_code == 401
    blocked = await client.get("/api/tickets", headers=bearer("pt_guess"))
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0


async def test_a_customer_files_a_ticket_and_gets_the_receipt(client, settings):
    _ann, raw = await _customer(settings)
    response = await client.post("/api/tickets", json=NEW, headers=bearer(raw))
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "new" and body["subject"] == NEW["subject"]
    assert body["url"] == f"http://portal.test/tickets/{body['number']}"
    assert body["first_response_due"] and body["resolution_due"]
    ticket = await Ticket.objects().first()
    assert ticket.channel == "api"
    receipt = await OutboxMessage.objects().where(OutboxMessage.to_address == "ann@example.com").first()
    assert receipt.subject.startswith(f"[#{body['number']}]")


async def test_the_same_idempotency_key_files_one_ticket(client, settings):
    _ann, raw = await _customer(settings)
    headers = {**bearer(raw), "Idempotency-Key": "order-77"}
    first = await client.post("/api/tickets", json=NEW, headers=headers)
    again = await client.post("/api/tickets", json=NEW, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    other = await client.post("/api/tickets", json=NEW, headers={**bearer(raw), "Idempotency-Key": "order-78"})
    assert other.json()["number"] != first.json()["number"]
    assert await Ticket.count() == 2 and await OutboxMessage.count() == 2
    too_long = await client.post("/api/tickets", json=NEW, headers={**bearer(raw), "Idempotency-Key": "k" * 121})
    assert too_long.status_code == 400 and too_long.json()["field"] == "Idempotency-Key"


async def test_bad_input_is_a_400_naming_the_field(client, settings):
    _ann, raw = await _customer(settings)
    cases = [
        ({**NEW, "subject": "  "}, "subject"),
        ({**NEW, "type": "nonsense"}, "type"),
        ({**NEW, "priority": "urgent"}, "priority"),  # not in the standard plan
        ({k: v for k, v in NEW.items() if k != "description"}, "description"),
        ({**NEW, "subject": 42}, "subject"),
    ]
    for payload, field in cases:
        response = await client.post("/api/tickets", json=payload, headers=bearer(raw))
        assert response.status_code == 400, payload
        assert response.json()["status"] == 400 and response.json()["field"] == field, response.json()
    broken = await client.post(
        "/api/tickets", content=b"{not json", headers={**bearer(raw), "content-type": "application/json"}
    )
    assert broken.status_code == 400 and broken.json()["status"] == 400
    assert (await client.get("/api/tickets?status=lost", headers=bearer(raw))).json()["field"] == "status"
    assert await Ticket.count() == 0


async def test_another_customers_ticket_is_not_found_anywhere(client, settings):
    _ann, anns = await _customer(settings)
    _bob, bobs = await _customer(settings, "bob@example.com", "Bob")
    number = await _file(client, anns)
    assert (await client.get(f"/api/tickets/{number}", headers=bearer(bobs))).status_code == 404
    reply = await client.post(f"/api/tickets/{number}/messages", json={"body": "mine now"}, headers=bearer(bobs))
    assert reply.status_code == 404 and reply.json()["detail"]
    rating = await client.post(f"/api/tickets/{number}/rating", json={"score": 1}, headers=bearer(bobs))
    assert rating.status_code == 404
    assert (await client.get("/api/tickets", headers=bearer(bobs))).json()["tickets"] == []
    assert (await client.get(f"/api/tickets/{number + 1000}", headers=bearer(anns))).status_code == 404


async def test_internal_notes_reach_staff_only(client, settings):
    _ann, anns = await _customer(settings)
    agent = await create_user(settings, "agent@example.com", Role.AGENT, name="Boris Agent")
    agents = await api_tokens.create(agent, "helpdesk")
    number = await _file(client, anns)
    note = {"body": "Old firmware; secret detail.", "internal": True}
    assert (await client.post(f"/api/tickets/{number}/messages", json=note, headers=bearer(agents))).status_code == 201
    answer = {"body": "Please update the firmware."}
    assert (
        await client.post(f"/api/tickets/{number}/messages", json=answer, headers=bearer(agents))
    ).status_code == 201
    forbidden = await client.post(f"/api/tickets/{number}/messages", json=note, headers=bearer(anns))
    assert forbidden.status_code == 403
    mine = await client.post(f"/api/tickets/{number}/messages", json={"body": "Done, thanks."}, headers=bearer(anns))
    assert mine.status_code == 201 and mine.json()["internal"] is False

    seen = (await client.get(f"/api/tickets/{number}", headers=bearer(anns))).json()
    assert [m["body"] for m in seen["messages"]] == ["Please update the firmware.", "Done, thanks."]
    assert "secret detail" not in str(seen) and all(e["public"] for e in seen["events"])
    staff_view = (await client.get(f"/api/tickets/{number}", headers=bearer(agents))).json()
    assert [m["internal"] for m in staff_view["messages"]] == [True, False, False]
    assert staff_view["messages"][0]["staff"] is True


async def test_a_resolution_is_rated_once(client, settings):
    _ann, anns = await _customer(settings)
    agent = await create_user(settings, "agent@example.com", Role.AGENT)
    number = await _file(client, anns)
    early = await client.post(f"/api/tickets/{number}/rating", json={"score": 5}, headers=bearer(anns))
    assert early.status_code == 400 and early.json()["code"] == "rating_not_open"
    ticket = await Ticket.objects().first()
    await conversation.change_status(settings, agent, ticket, "resolved")
    bad = await client.post(f"/api/tickets/{number}/rating", json={"score": 9}, headers=bearer(anns))
    assert bad.status_code == 400 and bad.json()["field"] == "score"
    rated = await client.post(
        f"/api/tickets/{number}/rating", json={"score": 5, "comment": "Quick!"}, headers=bearer(anns)
    )
    assert rated.status_code == 201 and rated.json() == {
        "ticket": number,
        "resolution": 1,
        "score": 5,
        "comment": "Quick!",
    }
    again = await client.post(f"/api/tickets/{number}/rating", json={"score": 1}, headers=bearer(anns))
    assert again.status_code == 400 and again.json()["code"] == "already_rated"


async def test_listing_is_paginated_and_filtered(tmp_path, database_url):
    # 52 tickets from one customer in a moment: more than the default limit allows.
    settings = make_settings(tmp_path, database_url, PORTAL_RATE_TICKET_WRITES="100/600")
    client = browser(create_app(settings))
    async with client:
        await _listing_is_paginated_and_filtered(client, settings)


async def _listing_is_paginated_and_filtered(client, settings):
    _ann, anns = await _customer(settings)
    agent = await create_user(settings, "agent@example.com", Role.AGENT)
    numbers = [await _file(client, anns, subject=f"Ticket {n}") for n in range(52)]
    await conversation.change_status(settings, agent, await Ticket.objects().first(), "open")
    first = (await client.get("/api/tickets", headers=bearer(anns))).json()
    assert first["has_more"] and [t["number"] for t in first["tickets"]] == numbers[::-1][:50]
    second = (await client.get("/api/tickets?page=2", headers=bearer(anns))).json()
    assert not second["has_more"] and [t["number"] for t in second["tickets"]] == numbers[1::-1]
    opened = (await client.get("/api/tickets?status=open", headers=bearer(anns))).json()
    assert [t["number"] for t in opened["tickets"]] == [numbers[0]]


async def test_the_session_cookie_cannot_act_on_the_api(client, settings):
    """No CSRF hole: the API skips the CSRF check only because it ignores cookies."""
    await create_user(settings, "ann@example.com")
    await sign_in(client, "ann@example.com")
    plain = await client.post("/api/tickets", json=NEW)
    with_csrf = await client.post("/api/tickets", json=NEW, headers={"x-csrftoken": await csrf_token(client)})
    assert plain.status_code == with_csrf.status_code == 401
    assert (await client.get("/api/tickets")).status_code == 401
    assert await Ticket.count() == 0
    assert (await client.get("/profile")).status_code == 200  # the cookie itself still works on pages


async def test_the_schema_lists_the_api(client):
    schema = await client.get("/schema")
    assert schema.status_code == 200
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/api/tickets", "/api/tickets/{number}", "/api/tickets/{number}/rating"} <= set(paths)
    assert not any(path.startswith("/profile") for path in paths)
    assert paths["/api/tickets"]["post"]["security"] == [{"BearerToken": []}]
