"""Malformed input (NUL, lone surrogates, invalid UTF-8, numbers no column holds, deep JSON, huge
headers) gets a clear 4xx before anything is written, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from urllib.parse import quote, urlencode

import msgspec
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from auth import api_tokens
from auth.tables import Role
from kb.activity import ReaderActivity
from kb.tables import SearchLog
from portal.tickets.tables import Ticket
from portal.web.app import create_app
from tests.helpers import TEST_PASSWORD, create_user, csrf_token, post_form, sign_in

NEW = {"type": "question", "subject": "Invoice is missing", "description": "I cannot find invoice 42."}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _filed(client, settings) -> tuple[str, int]:
    ann = await create_user(settings, "ann@example.com")
    token = await api_tokens.create(ann, "tests")
    response = await client.post("/api/tickets", json=NEW, headers=bearer(token))
    assert response.status_code == 201
    return token, response.json()["number"]


async def test_numbers_no_column_holds_are_not_found_or_refused(client, settings):
    token, number = await _filed(client, settings)
    await sign_in(client, "ann@example.com")
    assert (await client.get(f"/tickets/{number}")).status_code == 200
    for path in ("/tickets/99999999999999999999", "/tickets/-99999999999999999999", f"/tickets/{2**63}"):
        assert (await client.get(path)).status_code == 404, path
    assert (await client.get("/api/tickets/99999999999999999999", headers=bearer(token))).status_code == 404
    for query in ("page=1e30", "page=99999999999999999999", "limit=-99999999999999999999"):
        response = await client.get(f"/api/kb/search?q=invoice&{query}")
        assert 400 <= response.status_code < 500, query
    for score in ("1e400", str(2**70), "-1e400"):
        response = await client.post(
            f"/api/tickets/{number}/rating",
            content=f'{{"score": {score}}}',
            headers={**bearer(token), "content-type": "application/json"},
        )
        assert response.status_code == 400, score
        assert response.json()["detail"]


async def test_unstorable_text_is_refused_before_anything_is_written(client, settings):
    token, _number = await _filed(client, settings)
    before = await Ticket.count()
    for hostile in ("a\x00b", "\ud800", "x\udfffy"):
        body = json.dumps({**NEW, "subject": hostile})  # ASCII-escaped: "\u0000", "\ud800"
        response = await client.post(
            "/api/tickets", content=body, headers={**bearer(token), "content-type": "application/json"}
        )
        assert response.status_code == 400, repr(hostile)
        assert response.json()["status"] == 400 and response.json()["detail"]
    invalid_utf8 = b'{"type": "question", "subject": "\xff\xfe", "description": "x"}'
    response = await client.post(
        "/api/tickets", content=invalid_utf8, headers={**bearer(token), "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert await Ticket.count() == before

    for path in ("/kb/search?q=a%00b", "/kb/search?q=%ED%A0%80", "/kb/search?q=%FF", "/kb/a%00b", "/kb/%ED%A0%80"):
        response = await client.get(path)
        assert response.status_code == 400, path
    assert (await client.get("/api/kb/search?q=%00")).json()["status"] == 400


async def test_deep_json_and_huge_headers_are_refused(client, settings):
    token, number = await _filed(client, settings)
    for body in ("[" * 100_000 + "]" * 100_000, '{"body": ' + "[" * 40 + '"x"' + "]" * 40 + "}", "{"):
        response = await client.post(
            f"/api/tickets/{number}/messages",
            content=body,
            headers={**bearer(token), "content-type": "application/json"},
        )
        assert response.status_code == 400
    response = await client.get("/kb", headers={"X-Padding": "x" * 40_000})
    assert response.status_code == 431


async def test_a_form_with_unstorable_text_gets_a_clear_page_in_the_users_language(client, settings):
    await create_user(settings, "ann@example.com")
    response = await post_form(client, "/login", {"email": "ann\x00@example.com", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "cannot be stored" in response.text
    form = {"email": "ann@example.com", "password": "x\ud800", "_csrf_token": await csrf_token(client)}
    russian = await client.post(
        "/login",
        content=_form_bytes(form),
        headers={"Accept-Language": "ru", "content-type": "application/x-www-form-urlencoded"},
    )
    assert russian.status_code == 400
    assert "нельзя сохранить" in russian.text
    # A session cookie with a NUL in it is not a reason to fail either.
    client.cookies.set("portal_session", "abc\x00def", domain="portal.test")
    assert (await client.get("/")).status_code == 400


async def test_one_unstorable_search_does_not_sink_the_others(database_url, settings):
    ann = await create_user(settings, "ann@example.com")
    activity = ReaderActivity()
    activity.search("printer\x00 offline", "en", 3, user_id=ann.id)
    activity.search("invoice \ud800 missing", "en", 1)
    activity.search("gone user", "en", 1, user_id=ann.id + 1000)  # a user deleted before the flush
    activity.search("reset password", "ru", 2, category="acc\x00ount")
    await activity.flush()
    stored = sorted(row["query"] for row in await SearchLog.select(SearchLog.query))
    assert "printer offline" in stored and "invoice  missing" in stored and "reset password" in stored
    assert all("\x00" not in query for query in stored)


# --- every JSON and form route, with hostile values ---------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff", "99999999999999999999", "-9" * 30, "1e400", "Ä" * 3000]),
    st.text(alphabet=st.characters(codec=None), max_size=40),
)
HOSTILE_NUMBER = st.sampled_from([2**70, -(2**70), 2**63, 1e300, float("inf"), float("nan"), -1, 0, 10**400])
HOSTILE_VALUE = st.one_of(
    HOSTILE_TEXT,
    HOSTILE_NUMBER,
    st.lists(HOSTILE_TEXT, max_size=3),
    st.dictionaries(HOSTILE_TEXT, HOSTILE_TEXT, max_size=2),
)
GENERIC_FIELDS = ["subject", "description", "body", "type", "priority", "email", "password", "name", "q", "score"]


def _field_names(handler) -> tuple[list[str], str]:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return GENERIC_FIELDS, "form"
    model = data.annotation
    if isinstance(model, type) and issubclass(model, msgspec.Struct):
        names = list(model.__struct_fields__)
    elif dataclasses.is_dataclass(model):
        names = [f.name for f in dataclasses.fields(model)]
    else:
        names = GENERIC_FIELDS
    media = str(getattr(data.kwarg_definition, "media_type", "") or "")
    return names, "json" if media in {"", "application/json", "RequestEncodingType.JSON"} else "form"


def _writes(app) -> list[tuple[str, str, list[str], str]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods - {"GET", "HEAD", "OPTIONS"}:
                names, kind = _field_names(handler)
                found.append((method, route.path, names, kind))
    return found


def _fill(path: str, number: int, value) -> str:
    out, rest = "", path
    while "{" in rest:
        head, _sep, tail = rest.partition("{")
        spec, _sep, rest = tail.partition("}")
        if spec.endswith(":int"):
            out += head + str(value if isinstance(value, int) and not isinstance(value, bool) else number)
        else:
            out += head + quote(str(value).encode("utf-8", "surrogatepass"), safe="")
    return out + rest


def _json_bytes(payload) -> bytes:
    return json.dumps(payload, allow_nan=True).encode()  # ASCII: NUL and surrogates as \u escapes


def _form_bytes(payload) -> bytes:
    flat = {k: v if isinstance(v, str) else json.dumps(v, allow_nan=True) for k, v in payload.items()}
    return urlencode(flat, encoding="utf-8", errors="surrogatepass").encode()


def test_no_route_answers_hostile_input_with_a_server_error(settings, database_url):
    async def setup():
        ann = await create_user(settings, "ann@example.com")
        agent = await create_user(settings, "agent@example.com", role=Role.AGENT)
        return await api_tokens.create(ann, "fuzz"), await api_tokens.create(agent, "fuzz")

    customer_token, staff_token = asyncio.run(setup())
    app = create_app(settings)
    with (
        TestClient(app, base_url="http://portal.test") as customer,
        TestClient(app, base_url="http://portal.test") as agent,
    ):
        number = customer.post("/api/tickets", json=NEW, headers=bearer(customer_token)).json()["number"]
        for browser_client, email in ((customer, "ann@example.com"), (agent, "agent@example.com")):
            browser_client.get("/login")
            signed = browser_client.post(
                "/login",
                data={"email": email, "password": TEST_PASSWORD, "_csrf_token": browser_client.cookies["csrftoken"]},
                follow_redirects=False,
            )
            assert signed.status_code == 302
        writes = _writes(app)
        assert len(writes) > 20

        @hypothesis_settings(
            max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
        )
        @given(st.data())
        def attack(data):
            for method, path, names, kind in writes:
                as_staff = data.draw(st.booleans())
                browser_client = agent if as_staff else customer
                payload = {name: data.draw(HOSTILE_VALUE) for name in names}
                url = _fill(path, number, data.draw(st.one_of(HOSTILE_NUMBER, HOSTILE_TEXT)))
                query = _form_bytes({"q": data.draw(HOSTILE_TEXT), "page": data.draw(HOSTILE_TEXT)}).decode()
                headers = {"x-csrftoken": browser_client.cookies.get("csrftoken", "")}
                if path.startswith("/api/"):
                    headers["authorization"] = f"Bearer {staff_token if as_staff else customer_token}"
                if kind == "json":
                    headers["content-type"] = "application/json"
                    body = _json_bytes(payload)
                else:
                    payload["_csrf_token"] = browser_client.cookies.get("csrftoken", "")
                    headers["content-type"] = "application/x-www-form-urlencoded"
                    body = _form_bytes(payload)
                response = browser_client.request(
                    method, f"{url}?{query}", content=body, headers=headers, follow_redirects=False
                )
                assert response.status_code < 500, (method, url, body[:300], response.text[:300])
            for path in ("/kb/search", "/api/kb/search", "/api/kb/suggest", "/staff/tickets", "/tickets"):
                query = _form_bytes({"q": data.draw(HOSTILE_TEXT), "page": data.draw(HOSTILE_TEXT)}).decode()
                response = agent.get(f"{path}?{query}", headers=bearer(staff_token) if "/api/" in path else {})
                assert response.status_code < 500, (path, query)

        attack()
    assert asyncio.run(Ticket.count().run()) >= 1
