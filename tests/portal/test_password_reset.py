"""Password reset by emailed link: one hour, one use, the newest link only, every session ends."""

from datetime import UTC, datetime, timedelta

from auth.tables import AuthSession, OneTimeToken
from portal.notify.tables import OutboxMessage
from tests.helpers import TEST_PASSWORD, create_user, last_mail, link_in, post_form, sign_in

NEW_PASSWORD = "a brand new passphrase"


async def _request_link(client, email="ann@example.com") -> str:
    response = await post_form(client, "/password/forgot", {"email": email})
    assert response.status_code == 302
    return link_in(await last_mail(email), "/password/reset").split("token=")[1]


async def test_reset_by_link_changes_the_password_and_ends_every_session(client, settings):
    await create_user(settings, "ann@example.com")
    await sign_in(client, "ann@example.com")
    assert await AuthSession.count() == 1
    token = await _request_link(client)
    mail = await last_mail("ann@example.com")
    assert mail.subject == "Reset your password" and "expires in one hour" in mail.body_text

    form = await client.get(f"/password/reset?token={token}")
    assert form.status_code == 200 and "Choose a new password" in form.text
    old_session = client.cookies["portal_session"]
    done = await post_form(
        client, "/password/reset", {"token": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done.headers["location"] == "/profile?done=password_changed"
    # Every earlier session ended; this browser is signed in with a new one.
    assert await AuthSession.count() == 1 and client.cookies["portal_session"] != old_session
    assert (await client.get("/profile")).status_code == 200
    client.cookies.set("portal_session", old_session, domain="portal.test")
    assert (await client.get("/profile")).status_code == 302

    assert (await sign_in(client, "ann@example.com", TEST_PASSWORD)).status_code == 400
    assert (await sign_in(client, "ann@example.com", NEW_PASSWORD)).status_code == 302


async def test_a_reset_link_works_once(client, settings):
    await create_user(settings, "ann@example.com")
    token = await _request_link(client)
    await post_form(client, "/password/reset", {"token": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    again = await post_form(
        client, "/password/reset", {"token": token, "password": "yet another one!", "password2": "yet another one!"}
    )
    assert again.status_code == 400 and "already used" in again.text
    assert (await sign_in(client, "ann@example.com", NEW_PASSWORD)).status_code == 302


async def test_an_expired_link_is_refused(client, settings):
    await create_user(settings, "ann@example.com")
    token = await _request_link(client)
    await OneTimeToken.update({OneTimeToken.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        OneTimeToken.purpose == "reset"
    )
    assert (await client.get(f"/password/reset?token={token}")).status_code == 400
    refused = await post_form(
        client, "/password/reset", {"token": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert refused.status_code == 400
    assert (await sign_in(client, "ann@example.com", TEST_PASSWORD)).status_code == 302


async def test_a_link_lasts_one_hour(client, settings):
    await create_user(settings, "ann@example.com")
    await _request_link(client)
    token = await OneTimeToken.objects().where(OneTimeToken.purpose == "reset").first()
    assert timedelta(minutes=59) < token.expires_at - token.created_at <= timedelta(hours=1)


async def test_a_newer_link_replaces_the_older_one(client, settings):
    await create_user(settings, "ann@example.com")
    old = await _request_link(client)
    new = await _request_link(client)
    assert old != new
    assert (await client.get(f"/password/reset?token={old}")).status_code == 400
    assert (await client.get(f"/password/reset?token={new}")).status_code == 200


async def test_changing_the_password_voids_outstanding_links(client, settings):
    await create_user(settings, "ann@example.com")
    token = await _request_link(client)
    await sign_in(client, "ann@example.com")
    changed = await post_form(
        client, "/profile/password", {"current": TEST_PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert changed.status_code == 302
    assert (await client.get("/profile")).status_code == 200  # this browser stays signed in
    assert (await client.get(f"/password/reset?token={token}")).status_code == 400


async def test_unknown_and_known_addresses_get_the_same_answer(client, settings):
    await create_user(settings, "ann@example.com")
    known = await post_form(client, "/password/forgot", {"email": "ann@example.com"})
    unknown = await post_form(client, "/password/forgot", {"email": "nobody@example.com"})
    assert (known.status_code, known.headers["location"]) == (unknown.status_code, unknown.headers["location"])
    assert await OutboxMessage.count().where(OutboxMessage.to_address == "nobody@example.com") == 0
    page = await client.get(known.headers["location"])
    assert "If an account exists for this address" in page.text


async def test_weak_new_password_is_refused_and_the_link_still_works(client, settings):
    await create_user(settings, "ann@example.com")
    token = await _request_link(client)
    weak = await post_form(client, "/password/reset", {"token": token, "password": "short", "password2": "short"})
    assert weak.status_code == 400 and "at least 10 characters" in weak.text
    assert (await client.get(f"/password/reset?token={token}")).status_code == 200
