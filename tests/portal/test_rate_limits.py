"""Everything that writes or searches is rate-limited in the database: 429 with Retry-After, the same count
in every process, staff allowed more than customers, and the limits set by PORTAL_RATE_* variables."""

import re

import pytest

from auth import api_tokens
from auth.tables import Role
from portal.settings import Settings, SettingsError
from portal.tickets.tables import Message, Ticket
from portal.web.app import create_app
from portal.web.limits import OWN_LIMITS, rules_for
from tests.conftest import browser, make_settings
from tests.helpers import create_user, post_form
from tests.portal.test_api_tickets import NEW, bearer
from tests.portal.test_guards import _handlers
from tests.portal.test_tickets_customer import form_key, send, signed_in

HIGH = "1000/600"


def limited(tmp_path, database_url, **rates: str) -> Settings:
    """Settings with every limit high except the ones named (search="3/60" sets PORTAL_RATE_SEARCH)."""
    env = {f"PORTAL_RATE_{name}": HIGH for name in ("SEARCH", "TICKET_WRITES", "WRITES", "ADDRESS_WRITES", "API")}
    env.update({f"PORTAL_RATE_{name.upper()}": value for name, value in rates.items()})
    return make_settings(tmp_path, database_url, **env)


def assert_refused(response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.parametrize(
    "url", ["/kb/search?q=password", "/api/kb/search?q=password", "/api/kb/suggest?q=pass", "/kb/search?q=x"]
)
async def test_searches_are_limited_per_address(tmp_path, database_url, url):
    """Anonymous search pages come from the page cache after the first: those copies count too."""
    async with browser(create_app(limited(tmp_path, database_url, search="3/60"))) as client:
        for _ in range(3):
            assert (await client.get(url)).status_code == 200
        refused = await client.get(url)
        assert_refused(refused)
        if url.startswith("/api/"):
            assert refused.json()["status"] == 429
        else:
            assert "Too many attempts" in refused.text
        # Reading an article is not a search.
        assert (await client.get("/kb")).status_code == 200


async def test_filing_is_limited_per_user_and_a_refused_form_files_nothing(tmp_path, database_url):
    settings = limited(tmp_path, database_url, ticket_writes="2/600")
    async with browser(create_app(settings)) as client:
        await signed_in(client, settings)
        for _ in range(2):
            assert (await send(client, await form_key(client))).status_code == 302
        assert_refused(await send(client, await form_key(client)))
        assert await Ticket.count() == 2
        # Another customer on the same address still may.
        client.cookies.clear()
        await signed_in(client, settings, "bob@example.com")
        assert (await send(client, await form_key(client))).status_code == 302


async def test_writes_are_limited_per_address_across_users(tmp_path, database_url):
    settings = limited(tmp_path, database_url, address_writes="3/600")
    async with browser(create_app(settings)) as client:
        await signed_in(client, settings)
        for _ in range(2):
            assert (await send(client, await form_key(client))).status_code == 302
        client.cookies.clear()
        await signed_in(client, settings, "bob@example.com")  # sign-in has its own limits
        assert (await send(client, await form_key(client))).status_code == 302
        assert_refused(await send(client, await form_key(client)))
        assert await Ticket.count() == 3


async def test_replies_and_profile_writes_are_limited(tmp_path, database_url):
    settings = limited(tmp_path, database_url, ticket_writes="2/600", writes="2/600")
    async with browser(create_app(settings)) as client:
        await signed_in(client, settings)
        filed = await send(client, await form_key(client))
        number = filed.headers["location"].split("?")[0].rsplit("/", 1)[1]
        assert (await post_form(client, f"/tickets/{number}/messages", {"body": "More details."})).status_code == 302
        assert_refused(await post_form(client, f"/tickets/{number}/messages", {"body": "Even more."}))
        assert await Message.count().where(Message.body == "Even more.") == 0

        profile = {"name": "Ann", "locale": "en", "time_zone": "UTC"}
        assert (await post_form(client, "/profile", profile)).status_code == 302
        assert (await post_form(client, "/profile/tokens", {"token_name": "robot"})).status_code == 200
        assert_refused(await post_form(client, "/profile/tokens", {"token_name": "robot 2"}))
        assert_refused(await post_form(client, "/profile", profile))


async def test_the_api_is_limited_per_token_reads_too(tmp_path, database_url):
    settings = limited(tmp_path, database_url, api="3/60")
    user = await create_user(settings, "ann@example.com")
    first, second = await api_tokens.create(user, "one"), await api_tokens.create(user, "two")
    async with browser(create_app(settings)) as client:
        assert (await client.post("/api/tickets", json=NEW, headers=bearer(first))).status_code == 201
        assert (await client.get("/api/tickets", headers=bearer(first))).status_code == 200
        assert (await client.get("/api/tickets/1001", headers=bearer(first))).status_code in (200, 404)
        refused = await client.get("/api/tickets", headers=bearer(first))
        assert_refused(refused)
        assert refused.json() == {"status": 429, "detail": refused.json()["detail"]}
        assert (await client.get("/api/tickets", headers=bearer(second))).status_code == 200


async def test_two_processes_share_one_count(tmp_path, database_url):
    settings = limited(tmp_path, database_url, search="4/60")
    async with browser(create_app(settings)) as one, browser(create_app(settings)) as other:
        for client in (one, other, one, other):
            assert (await client.get("/api/kb/search?q=password")).status_code == 200
        assert_refused(await other.get("/api/kb/search?q=password"))
        assert_refused(await one.get("/api/kb/search?q=password"))


async def test_staff_get_the_looser_limit(tmp_path, database_url):
    settings = limited(tmp_path, database_url, api="2/60", staff_factor="3")
    customer = await api_tokens.create(await create_user(settings, "ann@example.com"), "t")
    agent = await api_tokens.create(await create_user(settings, "bob@example.com", Role.AGENT), "t")
    async with browser(create_app(settings)) as client:
        statuses = [(await client.get("/api/tickets", headers=bearer(customer))).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        statuses = [(await client.get("/api/tickets", headers=bearer(agent))).status_code for _ in range(7)]
        assert statuses == [200] * 6 + [429]


def test_every_write_and_every_token_route_counts_against_a_limit(app):
    # Litestar names a request's route by its template without the parameters' types.
    routes = [
        (method, re.sub(r":\w+}", "}", path)) for path, handler in _handlers(app) for method in handler.http_methods
    ]
    for method, path in routes:
        if method in ("POST", "PATCH", "PUT", "DELETE") and path not in OWN_LIMITS:
            assert rules_for(method, path), path
        if path.startswith("/api/tickets"):
            assert "api" in [kind.name for kind in rules_for(method, path)], path
    # An exemption names a route that exists (and keeps limits of its own).
    assert OWN_LIMITS <= {path for method, path in routes if method == "POST"}


def test_limits_are_read_from_the_environment(tmp_path):
    settings = Settings.from_env({"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_RATE_SEARCH": "5/10"})
    assert settings.rate_search == (5, 10) and settings.rate_api == (600, 60)
    with pytest.raises(SettingsError, match="PORTAL_RATE_API"):
        Settings.from_env({"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_RATE_API": "lots"})


async def test_processes_claiming_shares_of_a_limit_never_admit_more_than_it(tmp_path, database_url):
    """Searches are counted a tenth of the limit at a time; however the requests fall on the processes,
    no more than the limit get through, and at most a share per process is lost."""
    settings = limited(tmp_path, database_url, search="40/60")
    admitted = 0
    async with browser(create_app(settings)) as one, browser(create_app(settings)) as other:
        for n in range(60):
            client = one if n % 3 else other
            admitted += (await client.get("/api/kb/suggest?q=pass")).status_code == 200
        assert_refused(await one.get("/api/kb/suggest?q=pass"))
        assert_refused(await other.get("/api/kb/suggest?q=pass"))
    assert 40 - 2 * 4 <= admitted <= 40
