"""A person in Chromium signs in through the real OpenID Connect provider and lands signed in on the portal;
one who already has an account here links it on a page that passes axe."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.conftest import missing, serve, stop
from tests.e2e.test_accessibility import AXE, IMPACTS, WIDTHS, _violations
from tests.oidc import harness


@pytest.fixture
def portal_with_provider(tmp_path, database_url):
    port = harness.free_port()
    with harness.provider([f"http://127.0.0.1:{port}/auth/oidc/acme/callback"]) as idp:
        process, portal = serve(tmp_path / "data", database_url, {**idp.env(), "PORTAL_DEMO_ACCOUNTS": "false"}, port)
        try:
            yield portal, idp
        finally:
            stop(process)


def _through_the_provider(page, url: str, idp, login: str) -> None:
    page.goto(url + "/login?next=/profile")
    page.get_by_role("link", name="Sign in with Acme SSO").click()
    # The provider's own pages: its login form, then its consent form.
    page.wait_for_url(idp.issuer + "/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    page.get_by_role("button", name="Continue").click()


def test_sign_in_with_the_provider_in_a_browser(portal_with_provider, browser_page):
    portal, idp = portal_with_provider
    url, page = portal.url, browser_page
    _through_the_provider(page, url, idp, "ann")

    page.wait_for_url(url + "/profile")
    assert "ann@example.com" in page.content()
    assert "Acme SSO (ann@example.com)" in page.content()
    session = next(c for c in page.context.cookies() if c["name"] == "portal_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert not any(c["name"] == "portal_oidc" for c in page.context.cookies())

    page.get_by_role("button", name="Sign out").click()
    page.goto(url + "/profile")
    assert "/login" in page.url


def test_an_existing_account_is_linked_in_a_browser_on_a_page_that_passes_axe(portal_with_provider, browser_page):
    if not AXE.exists():
        missing("axe-core (npm ci --prefix tests/axe)")
    portal, idp = portal_with_provider
    url, page = portal.url, browser_page
    password = "dave's long password"
    subprocess.run(
        [sys.executable, "-m", "portal.cli", "createuser", "--email", "dave@example.com", "--password", password],
        env=portal.env,
        check=True,
        capture_output=True,
    )
    page.context.add_init_script(path=str(AXE))
    _through_the_provider(page, url, idp, "dave")

    page.wait_for_url(url + "/auth/oidc/link")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert [v for v in _violations(page) if v["impact"] in IMPACTS] == [], width
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.locator("#f-password").fill(password)
    page.get_by_role("button", name="Link and sign in").click()
    page.wait_for_url(url + "/profile")
    assert "Acme SSO (dave@example.com)" in page.content()
