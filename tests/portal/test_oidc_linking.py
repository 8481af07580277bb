"""A provider identity meets an existing account: linked only with its password; seen and removed on the profile."""

from __future__ import annotations

import httpx

from auth.tables import AuthSession, OidcIdentity, OidcPendingLink, User
from portal.web.app import create_app
from tests.conftest import browser
from tests.helpers import TEST_PASSWORD, create_user, post_form, sign_in
from tests.oidc import harness


async def is_signed_in(portal) -> bool:
    return (await portal.get("/profile")).status_code == 200


async def test_an_existing_account_is_linked_only_after_its_password(portal, at_provider, oidc_settings):
    dave = await create_user(oidc_settings, "dave@example.com", name="Dave Password")
    answer = await harness.sign_in_through(portal, at_provider, "dave", next_path="/profile")
    assert answer.status_code == 302 and answer.headers["location"] == "/auth/oidc/link"
    assert not await is_signed_in(portal)
    assert await OidcIdentity.count() == 0

    page = await portal.get("/auth/oidc/link")
    assert page.status_code == 200
    assert "dave@example.com" in page.text and "Acme SSO" in page.text

    wrong = await post_form(portal, "/auth/oidc/link", {"password": "not the password"})
    assert wrong.status_code == 400 and "The email or password is wrong" in wrong.text
    assert not await is_signed_in(portal) and await OidcIdentity.count() == 0

    right = await post_form(portal, "/auth/oidc/link", {"password": TEST_PASSWORD})
    assert right.status_code == 302 and right.headers["location"] == "/profile"
    assert await is_signed_in(portal)
    identity = await OidcIdentity.objects().first()
    assert identity.user == dave.id and identity.subject == "dave"
    assert await User.count() == 1 and await OidcPendingLink.count() == 0

    # The link is used up; and from now on the provider signs Dave in directly.
    again = await post_form(portal, "/auth/oidc/link", {"password": TEST_PASSWORD})
    assert again.status_code == 400 and "expired or was already used" in again.text
    portal.cookies.delete("portal_session")
    async with httpx.AsyncClient(timeout=10) as fresh_provider_browser:
        direct = await harness.sign_in_through(portal, fresh_provider_browser, "dave")
    assert direct.status_code == 302 and direct.headers["location"] == "/"
    assert await is_signed_in(portal)


async def test_the_link_page_without_a_pending_link_explains_itself(portal):
    page = await portal.get("/auth/oidc/link")
    assert page.status_code == 400 and "expired or was already used" in page.text


async def test_an_unverified_email_never_links_to_an_existing_account(portal, at_provider, oidc_settings):
    await create_user(oidc_settings, "unverified-eve@example.com")
    answer = await harness.sign_in_through(portal, at_provider, "unverified-eve")
    assert answer.status_code == 400
    assert "has not verified your email address" in answer.text
    assert not await is_signed_in(portal)
    assert await OidcIdentity.count() == 0 and await OidcPendingLink.count() == 0


async def test_an_unverified_email_makes_no_account(portal, at_provider):
    answer = await harness.sign_in_through(portal, at_provider, "unverified-ivan")
    assert answer.status_code == 400 and "has not verified your email address" in answer.text
    assert await User.count() == 0 and await AuthSession.count() == 0


async def test_a_deactivated_account_cannot_sign_in_through_the_provider(portal, at_provider):
    assert (await harness.sign_in_through(portal, at_provider, "jack")).status_code == 302
    await User.update({User.is_active: False}).where(User.email == "jack@example.com")
    portal.cookies.delete("portal_session")
    async with httpx.AsyncClient(timeout=10) as fresh_provider_browser:
        answer = await harness.sign_in_through(portal, fresh_provider_browser, "jack")
    assert answer.status_code == 400 and "deactivated" in answer.text
    assert not await is_signed_in(portal)


async def test_the_only_way_to_sign_in_cannot_be_removed(portal, at_provider):
    assert (await harness.sign_in_through(portal, at_provider, "kim")).status_code == 302
    profile = await portal.get("/profile")
    assert "Acme SSO (kim@example.com)" in profile.text
    identity = await OidcIdentity.objects().first()

    refused = await post_form(portal, f"/profile/identities/{identity.id}/remove", {})
    assert refused.status_code == 400 and "only way to sign in" in refused.text
    assert await OidcIdentity.count() == 1


async def test_a_linked_identity_is_removed_from_the_profile(portal, at_provider, oidc_settings):
    await create_user(oidc_settings, "lena@example.com")
    assert (await harness.sign_in_through(portal, at_provider, "lena")).headers["location"] == "/auth/oidc/link"
    assert (await post_form(portal, "/auth/oidc/link", {"password": TEST_PASSWORD})).status_code == 302
    identity = await OidcIdentity.objects().first()

    removed = await post_form(portal, f"/profile/identities/{identity.id}/remove", {})
    assert removed.status_code == 302 and removed.headers["location"] == "/profile?done=identity_removed"
    page = await portal.get("/profile?done=identity_removed")
    assert "The sign-in provider is removed from your account." in page.text
    assert await OidcIdentity.count() == 0

    # Next time through the provider, the password is asked for again.
    portal.cookies.delete("portal_session")
    async with httpx.AsyncClient(timeout=10) as fresh_provider_browser:
        answer = await harness.sign_in_through(portal, fresh_provider_browser, "lena")
    assert answer.headers["location"] == "/auth/oidc/link"


async def test_nobody_removes_someone_elses_identity(portal, at_provider, oidc_settings):
    assert (await harness.sign_in_through(portal, at_provider, "maya")).status_code == 302
    mayas = await OidcIdentity.objects().first()
    async with browser(create_app(oidc_settings)) as other:
        await create_user(oidc_settings, "nina@example.com")
        await sign_in(other, "nina@example.com")
        answer = await post_form(other, f"/profile/identities/{mayas.id}/remove", {})
        assert answer.status_code == 404
    assert await OidcIdentity.count() == 1


async def test_removing_needs_the_csrf_token_and_a_session(portal, at_provider):
    assert (await harness.sign_in_through(portal, at_provider, "olga")).status_code == 302
    identity = await OidcIdentity.objects().first()
    answer = await portal.post(f"/profile/identities/{identity.id}/remove")
    assert answer.status_code == 403
    portal.cookies.delete("portal_session")
    anonymous = await post_form(portal, f"/profile/identities/{identity.id}/remove", {})
    assert anonymous.status_code == 302 and anonymous.headers["location"].startswith("/login?next=")
    assert await OidcIdentity.count() == 1
