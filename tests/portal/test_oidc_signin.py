"""Signing in through a real OpenID Connect provider (npm oidc-provider): first visit, return, replays, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from auth.tables import AuthSession, OidcIdentity, OidcLogin, Role, User
from portal.web.app import create_app
from tests.conftest import browser, make_settings
from tests.helpers import TEST_PASSWORD, create_user, post_form, sign_in
from tests.oidc import harness
from tests.portal.conftest import PORTAL


async def signed_in_as(portal) -> str | None:
    page = await portal.get("/profile")
    if page.status_code != 200:
        return None
    return page.text


async def test_the_sign_in_page_offers_the_provider(portal):
    page = await portal.get("/login?next=/profile")
    assert page.status_code == 200
    assert "Sign in with Acme SSO" in page.text
    assert 'href="/auth/oidc/acme/start?next=/profile"' in page.text
    russian = await portal.get("/login", headers={"accept-language": "ru"})
    assert "Войти через Acme SSO" in russian.text


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "portal.security"]


async def test_a_first_time_user_gets_an_account_from_the_provider(portal, at_provider, idp, caplog):
    caplog.set_level("INFO", logger="portal.security")
    authorize = await harness.start_at_portal(portal, next_path="/profile")
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(idp.issuer)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["redirect_uri"] == [f"{PORTAL}/auth/oidc/acme/callback"]
    assert query["state"][0] and query["nonce"][0] and "code_verifier" not in query

    # This provider puts only `sub` in the ID token: the email and name come from its userinfo endpoint.
    back = await harness.sign_in_at_provider(at_provider, authorize, PORTAL, "ann")
    answer = await portal.get(back)
    assert answer.status_code == 302 and answer.headers["location"] == "/profile"

    profile = await signed_in_as(portal)
    assert profile is not None and "ann@example.com" in profile and "Acme SSO" in profile
    user = await User.objects().where(User.email == "ann@example.com").first()
    assert user.name == "Ann Provider" and user.password_hash is None and user.email_verified_at is not None
    identity = await OidcIdentity.objects().where(OidcIdentity.user == user.id).first()
    assert (identity.issuer, identity.subject) == (idp.issuer, "ann")
    assert await OidcLogin.count() == 0  # the attempt was used up
    signed = [line for line in security_lines(caplog) if "event=sign_in" in line]
    assert len(signed) == 1 and "outcome=success" in signed[0] and f"user_id={user.id}" in signed[0]
    assert "method=oidc" in signed[0] and "provider=acme" in signed[0] and "code=" not in signed[0]


async def test_a_returning_user_is_recognised_even_with_a_new_email(portal, at_provider, idp):
    first = await harness.sign_in_through(portal, at_provider, "carol")
    assert first.status_code == 302
    old_session = portal.cookies["portal_session"]
    carol = await User.objects().where(User.email == "carol@example.com").first()

    idp.set_account("carol", email="carol.new@example.com")
    async with httpx.AsyncClient(timeout=10) as fresh_provider_browser:
        again = await harness.sign_in_through(portal, fresh_provider_browser, "carol")
    assert again.status_code == 302
    assert await User.count() == 1
    identity = await OidcIdentity.objects().where(OidcIdentity.user == carol.id).first()
    assert identity.email == "carol.new@example.com"
    assert "carol@example.com" in await signed_in_as(portal)

    # The session id is new on every sign-in, and the one it replaced is gone.
    assert portal.cookies["portal_session"] != old_session
    assert await AuthSession.count().where(AuthSession.user == carol.id) == 1


async def test_a_replayed_state_is_refused(portal, at_provider):
    authorize = await harness.start_at_portal(portal)
    attempt_cookie = portal.cookies["portal_oidc"]
    back = await harness.sign_in_at_provider(at_provider, authorize, PORTAL, "dora")
    assert (await portal.get(back)).status_code == 302
    await portal.post("/logout", data={"_csrf_token": portal.cookies.get("csrftoken", "")})
    portal.cookies.delete("portal_session")

    # The same callback again, with the same attempt cookie the browser had: the state is used up.
    portal.cookies.set("portal_oidc", attempt_cookie, domain="portal.test", path="/auth/oidc")
    replay = await portal.get(back)
    assert replay.status_code == 400
    assert "expired or was already used" in replay.text
    assert await signed_in_as(portal) is None


async def test_a_replayed_code_is_refused(portal, at_provider):
    back = await harness.sign_in_at_provider(at_provider, await harness.start_at_portal(portal), PORTAL, "erin")
    assert (await portal.get(back)).status_code == 302
    sessions_before = await AuthSession.count()
    portal.cookies.delete("portal_session")

    # A fresh attempt (fresh state, fresh PKCE verifier) carrying the code already traded in.
    fresh = parse_qs(urlsplit(await harness.start_at_portal(portal)).query)["state"][0]
    used_code = parse_qs(urlsplit(back).query)["code"][0]
    replay = await portal.get("/auth/oidc/acme/callback", params={"code": used_code, "state": fresh})
    assert replay.status_code == 400
    assert "did not work" in replay.text
    assert await signed_in_as(portal) is None
    assert await AuthSession.count() == sessions_before


async def test_a_callback_from_another_browser_is_refused(oidc_settings, at_provider):
    """Login CSRF: an attacker's own callback URL, opened in the victim's browser, signs nobody in."""
    async with browser(create_app(oidc_settings)) as attacker, browser(create_app(oidc_settings)) as victim:
        authorize = await harness.start_at_portal(attacker)
        back = await harness.sign_in_at_provider(at_provider, authorize, PORTAL, "mallory")
        answer = await victim.get(back)
        assert answer.status_code == 400 and "expired or was already used" in answer.text
        assert await signed_in_as(victim) is None
        assert await User.count() == 0
        # The attempt is spent: the attacker cannot finish it in their own browser either.
        assert (await attacker.get(back)).status_code == 400
        assert await OidcLogin.count() == 0


async def test_cancelling_at_the_provider_signs_nobody_in(portal, at_provider, caplog):
    caplog.set_level("INFO", logger="portal.security")
    authorize = await harness.start_at_portal(portal)
    back = await harness.cancel_at_provider(at_provider, authorize, PORTAL)
    assert parse_qs(urlsplit(back).query)["error"] == ["access_denied"]
    answer = await portal.get(back)
    assert answer.status_code == 400
    assert "Sign-in was cancelled at the provider" in answer.text
    assert await signed_in_as(portal) is None
    assert await OidcLogin.count() == 0 and await User.count() == 0
    failed = [line for line in security_lines(caplog) if "event=sign_in" in line]
    assert len(failed) == 1 and "outcome=failure" in failed[0] and "reason=oidc_denied" in failed[0]


async def test_an_expired_attempt_is_refused(portal, at_provider):
    authorize = await harness.start_at_portal(portal)
    await OidcLogin.update({OidcLogin.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True)
    back = await harness.sign_in_at_provider(at_provider, authorize, PORTAL, "fay")
    answer = await portal.get(back)
    assert answer.status_code == 400 and "expired or was already used" in answer.text
    assert await signed_in_as(portal) is None
    assert await OidcLogin.count() == 0


@pytest.mark.parametrize("target", ["//evil.test/", "/\\evil.test", "https://evil.test/", "javascript:alert(1)"])
async def test_the_redirect_after_sign_in_stays_on_this_site(portal, target):
    await harness.start_at_portal(portal, next_path=target)
    attempt = await OidcLogin.objects().first()
    assert attempt.next_path == "/"


async def test_the_redirect_after_sign_in_keeps_a_local_path(portal, at_provider):
    answer = await harness.sign_in_through(portal, at_provider, "gail", next_path="/profile?tab=1")
    assert answer.headers["location"] == "/profile?tab=1"


async def test_staff_land_on_their_queue_and_customers_where_they_did(portal, at_provider, oidc_settings):
    await create_user(oidc_settings, "sam@example.com", role=Role.AGENT, name="Sam Agent")
    linking = await harness.sign_in_through(portal, at_provider, "sam")
    assert linking.headers["location"] == "/auth/oidc/link"
    linked = await post_form(portal, "/auth/oidc/link", {"password": TEST_PASSWORD})
    assert linked.status_code == 302 and linked.headers["location"] == "/staff/tickets"
    assert (await portal.get("/staff/tickets")).status_code == 200

    # Signing in again through the provider, as the password form does: the queue, or the page asked from.
    for asked, landing in [
        ("/", "/staff/tickets"),
        ("/staff/reports", "/staff/reports"),
        ("//evil.test/", "/staff/tickets"),
    ]:
        portal.cookies.delete("portal_session")
        async with httpx.AsyncClient(timeout=10) as fresh_provider_browser:
            answer = await harness.sign_in_through(portal, fresh_provider_browser, "sam", next_path=asked)
        assert answer.status_code == 302 and answer.headers["location"] == landing, asked
    password = await post_form(portal, "/login", {"email": "sam@example.com", "password": TEST_PASSWORD})
    assert password.headers["location"] == "/staff/tickets"

    portal.cookies.delete("portal_session")
    async with httpx.AsyncClient(timeout=10) as customer_browser:
        customer = await harness.sign_in_through(portal, customer_browser, "hal")
        assert customer.status_code == 302 and customer.headers["location"] == "/"
        portal.cookies.delete("portal_session")
        asked = await harness.sign_in_through(portal, customer_browser, "hal", next_path="/tickets")
    assert asked.headers["location"] == "/tickets"


async def test_an_unknown_provider_is_not_found(portal):
    assert (await portal.get("/auth/oidc/nobody/start")).status_code == 404
    assert (await portal.get("/auth/oidc/nobody/callback?code=x&state=y")).status_code == 404


async def test_a_provider_that_is_down_does_not_break_password_sign_in(tmp_path, database_url, idp):
    down = harness.free_port()  # nothing listens here
    env = {
        **idp.env(),
        "PORTAL_OIDC_PROVIDERS": "acme,corp",
        "PORTAL_OIDC_CORP_ISSUER": f"http://127.0.0.1:{down}",
        "PORTAL_OIDC_CORP_CLIENT_ID": "portal",
        "PORTAL_OIDC_CORP_CLIENT_SECRET": "secret",
        "PORTAL_OIDC_CORP_LABEL": "Corp Login",
    }
    settings = make_settings(tmp_path, database_url, **env)
    await create_user(settings, "hana@example.com")
    async with browser(create_app(settings)) as portal:
        page = await portal.get("/login")
        assert "Sign in with Corp Login" in page.text and "Sign in with Acme SSO" in page.text

        pressed = await portal.get("/auth/oidc/corp/start")
        assert pressed.status_code == 503
        assert "cannot be reached right now" in pressed.text
        assert 'name="password"' in pressed.text  # the password form is still right there

        page = await portal.get("/login")
        assert "Corp Login cannot be reached right now" in page.text
        assert "Acme SSO cannot be reached" not in page.text

        signed = await sign_in(portal, "hana@example.com")
        assert signed.status_code == 302
        assert "hana@example.com" in await signed_in_as(portal)
