"""A person in Chromium signs in through the real OpenID Connect provider and lands signed in on the portal."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import serve, stop
from tests.oidc import harness


@pytest.fixture
def portal_with_provider(tmp_path, database_url):
    port = harness.free_port()
    with harness.provider([f"http://127.0.0.1:{port}/auth/oidc/acme/callback"]) as idp:
        process, portal = serve(tmp_path / "data", database_url, {**idp.env(), "PORTAL_DEMO_ACCOUNTS": "false"}, port)
        try:
            yield portal.url, idp
        finally:
            stop(process)


def test_sign_in_with_the_provider_in_a_browser(portal_with_provider, browser_page):
    url, idp = portal_with_provider
    page = browser_page
    page.goto(url + "/login?next=/profile")
    page.get_by_role("link", name="Sign in with Acme SSO").click()

    # The provider's own pages: its login form, then its consent form.
    page.wait_for_url(idp.issuer + "/**")
    page.locator("input[name=login]").fill("ann")
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(url + "/profile")
    assert "ann@example.com" in page.content()
    assert "Acme SSO (ann@example.com)" in page.content()
    session = next(c for c in page.context.cookies() if c["name"] == "portal_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert not any(c["name"] == "portal_oidc" for c in page.context.cookies())

    page.get_by_role("button", name="Sign out").click()
    page.goto(url + "/profile")
    assert "/login" in page.url
