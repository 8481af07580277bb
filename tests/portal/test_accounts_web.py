"""Registration, email confirmation, sign-in and sign-out as a customer meets them."""

from auth.tables import AuthSession, User
from portal.web.app import create_app
from tests.conftest import browser, make_settings
from tests.helpers import TEST_PASSWORD, create_user, last_mail, link_in, post_form, sign_in


async def test_register_confirm_and_sign_in(client):
    response = await post_form(
        client,
        "/register",
        {"name": "Ann Example", "email": "Ann@Example.com", "password": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert response.status_code == 302 and response.headers["location"] == "/login?done=registered"
    user = await User.objects().where(User.email == "ann@example.com").first()
    assert user is not None and user.email_verified_at is None

    # Not confirmed yet: sign-in is refused with a way to resend the link.
    refused = await sign_in(client, "ann@example.com")
    assert refused.status_code == 400
    assert "Confirm your email address first" in refused.text
    assert "/verify/resend" in refused.text

    mail = await last_mail("ann@example.com")
    assert mail.subject == "Confirm your email address"
    page = await client.get(link_in(mail, "/verify"))
    assert page.status_code == 200 and "Confirm my email address" in page.text
    token = link_in(mail, "/verify").split("token=")[1]
    confirmed = await post_form(client, "/verify", {"token": token})
    assert confirmed.status_code == 302
    assert "Your email address is confirmed" in (await client.get("/login?done=verified")).text

    signed = await sign_in(client, "ann@example.com")
    assert signed.status_code == 302
    assert "Signed in as Ann Example" in (await client.get("/")).text
    profile = await client.get("/profile")
    assert profile.status_code == 200 and "ann@example.com" in profile.text

    # A confirmation link works once.
    again = await post_form(client, "/verify", {"token": token})
    assert again.status_code == 400 and "invalid, expired, or was already used" in again.text


async def test_registration_problems_are_shown_on_the_form(client):
    short = await post_form(
        client, "/register", {"name": "Ann", "email": "ann@example.com", "password": "short", "password2": "short"}
    )
    assert short.status_code == 400 and "at least 10 characters" in short.text
    differ = await post_form(
        client,
        "/register",
        {"name": "Ann", "email": "ann@example.com", "password": TEST_PASSWORD, "password2": TEST_PASSWORD + "x"},
    )
    assert differ.status_code == 400 and "The two passwords differ" in differ.text
    bad_email = await post_form(
        client,
        "/register",
        {
            "name": "Ann",
            "email": "ann@example.com\r\nBcc: x@evil.test",
            "password": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )
    assert bad_email.status_code == 400 and "valid email address" in bad_email.text
    assert await User.count() == 0


async def test_registering_a_taken_email_answers_the_same_and_tells_the_owner(client, settings):
    await create_user(settings, "ann@example.com")
    new = await post_form(
        client,
        "/register",
        {"name": "Bob", "email": "fresh@example.com", "password": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    taken = await post_form(
        client,
        "/register",
        {"name": "Mallory", "email": "ann@example.com", "password": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert (new.status_code, new.headers.get("location")) == (taken.status_code, taken.headers.get("location"))
    assert await User.count() == 2
    mail = await last_mail("ann@example.com")
    assert mail.subject == "Someone tried to register with your email address"


async def test_unknown_email_and_wrong_password_get_identical_answers(client, settings):
    await create_user(settings, "ann@example.com")
    unknown = await sign_in(client, "nobody@example.com", "some password 123")
    wrong = await sign_in(client, "ann@example.com", "some password 123")
    assert unknown.status_code == wrong.status_code == 400
    assert unknown.text.replace("nobody@example.com", "X") == wrong.text.replace("ann@example.com", "X")
    assert "The email or password is wrong." in wrong.text


async def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(client, settings):
    await create_user(settings, "ann@example.com")
    response = await sign_in(client, "ann@example.com")
    assert response.status_code == 302
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "portal_session=" in v)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Secure" not in cookie
    secret = client.cookies["portal_session"]
    assert await AuthSession.count() == 1

    out = await post_form(client, "/logout", {})
    assert out.status_code == 302
    assert await AuthSession.count() == 0
    client.cookies.set("portal_session", secret, domain="portal.test")
    assert (await client.get("/profile")).status_code == 302  # the old secret signs nobody in


async def test_session_cookie_is_secure_behind_https(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url, PORTAL_BASE_URL="https://help.example.com")
    await create_user(settings, "ann@example.com")
    async with browser(create_app(settings), "https://help.example.com") as https_client:
        response = await sign_in(https_client, "ann@example.com")
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "portal_session=" in v)
    assert "Secure" in cookie


async def test_a_planted_session_id_is_never_adopted(client, settings):
    await create_user(settings, "ann@example.com")
    planted = "attacker-chosen-session-id"
    client.cookies.set("portal_session", planted, domain="portal.test")
    await sign_in(client, "ann@example.com")
    assert client.cookies["portal_session"] != planted

    async with browser(client.app) as attacker:
        attacker.cookies.set("portal_session", planted, domain="portal.test")
        assert (await attacker.get("/profile")).status_code == 302


async def test_signing_in_again_rotates_the_session(client, settings):
    await create_user(settings, "ann@example.com")
    await sign_in(client, "ann@example.com")
    first = client.cookies["portal_session"]
    await sign_in(client, "ann@example.com")
    second = client.cookies["portal_session"]
    assert first != second
    assert await AuthSession.count() == 1  # the replaced session is gone, not merely forgotten


async def test_deactivated_user_cannot_sign_in(client, settings):
    user = await create_user(settings, "ann@example.com")
    await User.update({User.is_active: False}).where(User.id == user.id)
    response = await sign_in(client, "ann@example.com")
    assert response.status_code == 400 and "The email or password is wrong." in response.text


async def test_next_parameter_only_goes_to_local_paths(client, settings):
    await create_user(settings, "ann@example.com")
    for target, expected in [
        ("/profile", "/profile"),
        ("//evil.test", "/"),
        ("https://evil.test/", "/"),
        ("/\\evil.test", "/"),
    ]:
        client.cookies.clear()
        response = await post_form(
            client, "/login", {"email": "ann@example.com", "password": TEST_PASSWORD, "next": target}
        )
        assert response.headers["location"] == expected
