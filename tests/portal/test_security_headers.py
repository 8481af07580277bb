"""Every page tells the browser what it may do with it (CSP without inline script, no framing, no
sniffing, no referrer for one-time links, HSTS over https), and a request for another host is refused."""

from litestar.routes import HTTPRoute

from auth import api_tokens
from auth.tables import Role
from portal.web.app import create_app
from tests.conftest import browser, make_settings
from tests.helpers import create_user, sign_in

NEW = {"type": "question", "subject": "Invoice is missing", "description": "I cannot find invoice 42."}


def _page_headers_ok(response) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") in {"no-referrer", "same-origin"}, where
    policy = response.headers.get("content-security-policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], where
    script = directives.get("script-src", directives.get("default-src"))
    assert script and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script and "*" not in script, where
    assert "'unsafe-inline'" not in directives.get("style-src", []), where
    assert "strict-transport-security" not in response.headers, where  # http here


def _get_paths(app) -> list[str]:
    paths = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "GET" in route.methods and "{" not in route.path:
            paths.add(route.path)
    return sorted(paths)


async def test_every_page_carries_the_security_headers(client, app, settings):
    admin = await create_user(settings, "admin@example.com", role=Role.ADMIN)
    ann = await create_user(settings, "ann@example.com")
    token = await api_tokens.create(ann, "tests")
    filed = await client.post("/api/tickets", json=NEW, headers={"Authorization": f"Bearer {token}"})
    assert filed.status_code == 201
    number = filed.json()["number"]
    paths = _get_paths(app)
    assert "/login" in paths and "/staff/tickets" in paths and len(paths) > 20

    html_pages = 0
    for path in paths + paths:  # anonymous: pages, redirects to sign-in, JSON; the second time from the page cache
        response = await client.get(path)
        _page_headers_ok(response)
        html_pages += response.headers.get("content-type", "").startswith("text/html")
    await sign_in(client, admin.email)
    for path in [*paths, f"/tickets/{number}", f"/staff/tickets/{number}", "/no-such-page", "/tickets/0"]:
        response = await client.get(path)
        assert response.status_code < 500, path
        _page_headers_ok(response)
        html_pages += response.headers.get("content-type", "").startswith("text/html")
    assert html_pages > 20

    api = await client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/api/tickets/999999")).headers["x-content-type-options"] == "nosniff"


async def test_a_one_time_link_page_sends_no_referrer(client):
    for path in ("/password/reset?token=secret-link-token", "/rate/secret-rating-token", "/verify?token=abc"):
        response = await client.get(path)
        assert response.status_code < 500
        assert response.headers["referrer-policy"] == "no-referrer"


async def test_a_request_for_another_host_is_refused(client, settings):
    for path in ("/", "/login", "/kb", "/api/kb/search?q=x"):
        response = await client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 400, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert (await client.get(path)).status_code in {200, 302}
    # The probes answer an operator asking by address.
    assert (await client.get("/health", headers={"Host": "127.0.0.1:8000"})).status_code == 200
    assert (await client.get("/ready", headers={"Host": "10.0.0.7"})).status_code == 200
    assert (await client.get("/login", headers={"Host": "portal.test:8443"})).status_code == 200


async def test_more_hosts_and_hsts_come_from_the_settings(tmp_path, database_url):
    settings = make_settings(
        tmp_path, database_url, PORTAL_BASE_URL="https://help.example.com", PORTAL_ALLOWED_HOSTS="support.example.com"
    )
    async with browser(create_app(settings), "https://help.example.com") as client:
        page = await client.get("/login")
        assert page.status_code == 200
        assert page.headers["strict-transport-security"].startswith("max-age=")
        other = await client.get("/login", headers={"Host": "support.example.com"})
        assert other.status_code == 200
        assert (await client.get("/login", headers={"Host": "portal.test"})).status_code == 400


async def test_a_portal_on_this_machine_answers_to_each_loopback_name(tmp_path, database_url):
    # `portal serve` says http://127.0.0.1:8000/; someone who types localhost:8000 gets the same portal.
    for served, names in (
        ("http://127.0.0.1:8000", ("localhost:8000", "LOCALHOST", "[::1]:8000", "127.0.0.1")),
        ("http://[::1]:8000", ("[::1]:8000", "localhost:8000")),
    ):
        settings = make_settings(tmp_path / served[7:10], database_url, PORTAL_BASE_URL=served)
        # (Litestar's test transport takes no IPv6 base address: each request names its own Host.)
        async with browser(create_app(settings), "http://127.0.0.1:8000") as client:
            for name in names:
                assert (await client.get("/login", headers={"Host": name})).status_code == 200, (served, name)
            assert (await client.get("/login", headers={"Host": "evil.example"})).status_code == 400
    # A portal served under a public name does not answer to loopback names.
    settings = make_settings(tmp_path / "public", database_url, PORTAL_BASE_URL="https://help.example.com")
    async with browser(create_app(settings), "https://help.example.com") as client:
        for name in ("localhost", "127.0.0.1:8000", "[::1]"):
            assert (await client.get("/login", headers={"Host": name})).status_code == 400, name
