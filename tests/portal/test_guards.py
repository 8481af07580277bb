"""Every route declares who may use it, and the declaration is enforced."""

import re

from litestar.handlers import HTTPRouteHandler

from auth.tables import Role
from portal.web.guards import Access
from tests.helpers import create_user, post_form, sign_in


def _handlers(app):
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            # Litestar's own OPTIONS answers (the Allow header) carry no data and have no opt to set.
            if isinstance(handler, HTTPRouteHandler) and handler.http_methods != {"OPTIONS"}:
                yield route.path, handler


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+:int\}", "1", re.sub(r"\{[^}]+:(str|path)\}", "x", path))


def test_every_route_declares_an_access_rule(app):
    missing = [f"{path} {sorted(h.http_methods)}" for path, h in _handlers(app) if "access" not in h.opt]
    assert missing == []


async def test_anonymous_visitors_are_sent_to_sign_in_on_every_non_public_page(client):
    checked = 0
    for path, handler in _handlers(client.app):
        if handler.opt["access"] in (Access.PUBLIC, Access.READER):  # the knowledge base is public by default
            continue
        for method in handler.http_methods:
            url = _concrete(path)
            if method in ("GET", "POST"):
                response = await (client.get(url) if method == "GET" else post_form(client, url, {}))
            else:  # the API's PATCH: JSON, no form
                response = await client.request(method, url, json={})
            if url.startswith("/api/"):  # programs get a JSON answer, not a sign-in page
                assert response.status_code == 401 and response.json()["status"] == 401, f"{method} {url}"
            else:
                assert response.status_code == 302, f"{method} {url}"
                assert response.headers["location"].startswith("/login?next="), f"{method} {url}"
            checked += 1
    assert checked >= 20


async def test_admin_routes_answer_404_to_customers_and_403_to_agents(client, settings):
    await create_user(settings, "ann@example.com", Role.CUSTOMER)
    await create_user(settings, "bob@example.com", Role.AGENT)
    admin_routes = [(path, h) for path, h in _handlers(client.app) if h.opt["access"] == Access.ADMIN]
    assert admin_routes
    for email, refused in (("ann@example.com", 404), ("bob@example.com", 403)):
        client.cookies.clear()
        await sign_in(client, email)
        for path, handler in admin_routes:
            for method in handler.http_methods:
                url = _concrete(path)
                response = await (client.get(url) if method == "GET" else post_form(client, url, {}))
                assert response.status_code == refused, f"{email} {method} {url}"
