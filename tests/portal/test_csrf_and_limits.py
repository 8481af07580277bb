"""Forms refuse posts without their CSRF token; sign-in, registration and reset are rate-limited."""

import pytest

from auth import ratelimit
from auth.errors import RateLimited
from auth.tables import User
from portal.web.app import create_app
from tests.conftest import browser
from tests.helpers import TEST_PASSWORD, create_user, post_form, sign_in


async def test_post_without_csrf_token_is_refused_and_changes_nothing(client):
    await client.get("/register")  # the browser has its CSRF cookie, but the form lacks the token
    response = await client.post(
        "/register",
        data={"name": "Ann", "email": "ann@example.com", "password": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert response.status_code == 403
    assert "The form expired" in response.text
    assert await User.count() == 0


async def test_post_with_a_forged_token_is_refused(client, settings):
    user = await create_user(settings, "ann@example.com")
    await sign_in(client, "ann@example.com")
    response = await client.post(
        "/profile", data={"name": "Hacked", "locale": "en", "time_zone": "UTC", "_csrf_token": "0" * 128}
    )
    assert response.status_code == 403
    assert (await User.objects().where(User.id == user.id).first()).name == "Ann Example"


async def test_sign_in_is_limited_per_account(client, settings):
    await create_user(settings, "ann@example.com")
    statuses = [
        (await sign_in(client, "ann@example.com", "wrong password!")).status_code
        for _ in range(ratelimit.SIGN_IN_PER_ACCOUNT.limit)
    ]
    assert set(statuses) == {400}
    blocked = await sign_in(client, "ann@example.com")  # even the right password waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many attempts" in blocked.text


async def test_the_limit_holds_across_processes(client, settings):
    """A second app (another worker process) sees the attempts the first one counted."""
    await create_user(settings, "ann@example.com")
    for _ in range(ratelimit.SIGN_IN_PER_ACCOUNT.limit):
        await sign_in(client, "ann@example.com", "wrong password!")
    async with browser(create_app(settings)) as other_worker:
        assert (await sign_in(other_worker, "ann@example.com")).status_code == 429


async def test_sign_in_is_limited_per_address(client, settings):
    for n in range(ratelimit.SIGN_IN_PER_ADDRESS.limit):
        await sign_in(client, f"user{n}@example.com", "wrong password!")
    assert (await sign_in(client, "someone-else@example.com")).status_code == 429


async def test_registration_and_reset_are_limited_per_address(client):
    for n in range(ratelimit.REGISTER_PER_ADDRESS.limit):
        await post_form(
            client,
            "/register",
            {"name": "N", "email": f"n{n}@example.com", "password": TEST_PASSWORD, "password2": TEST_PASSWORD},
        )
    blocked = await post_form(
        client,
        "/register",
        {"name": "N", "email": "last@example.com", "password": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert blocked.status_code == 429
    assert await User.count() == ratelimit.REGISTER_PER_ADDRESS.limit
    for _ in range(ratelimit.RESET_PER_ACCOUNT.limit):
        await post_form(client, "/password/forgot", {"email": "n1@example.com"})
    assert (await post_form(client, "/password/forgot", {"email": "n1@example.com"})).status_code == 429


async def test_the_limit_slides_with_time(database_url):
    rule = ratelimit.Rule("test", 2, 60)
    start = 1_000_020.0  # the start of a window
    await ratelimit.hit(rule, "x", now=start)
    await ratelimit.hit(rule, "x", now=start + 10)
    with pytest.raises(RateLimited):
        await ratelimit.hit(rule, "x", now=start + 20)
    # Just past the window's edge the earlier attempts still count: no double burst at the edge.
    with pytest.raises(RateLimited):
        await ratelimit.hit(rule, "x", now=start + 61)
    # A window later they have aged out.
    await ratelimit.hit(rule, "y", now=start)
    await ratelimit.hit(rule, "y", now=start + 10)
    await ratelimit.hit(rule, "y", now=start + 60 + 59)


async def test_csrf_tokens_keep_their_format_and_only_a_signed_matching_token_passes(client, settings):
    from litestar.middleware.csrf import generate_csrf_token

    first = await client.get("/register")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("csrftoken=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert len(client.cookies["csrftoken"]) == 128
    assert "set-cookie" not in (await client.get("/register")).headers  # the browser keeps its token

    await create_user(settings, "ann@example.com")
    await sign_in(client, "ann@example.com")
    form = {"name": "Ann B", "locale": "en", "time_zone": "UTC"}
    # A token of the format the portal has always issued (64 hex digits and their HMAC) still works,
    # in the form's field or in the header.
    token = generate_csrf_token(settings.secret_key)
    client.cookies.set("csrftoken", token)
    assert (await client.post("/profile", data={**form, "_csrf_token": token})).status_code in (302, 303)
    answer = await client.post("/profile", data={**form, "name": "Ann C"}, headers={"x-csrftoken": token})
    assert answer.status_code in (302, 303)
    # Refused, each with a 403 and nothing changed: another valid token, a tampered signature, another
    # key's token, text that is not a token, one outside ASCII.
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    for sent in (generate_csrf_token(settings.secret_key), tampered, generate_csrf_token("x" * 48), "abc", "ж" * 130):
        refused = await client.post("/profile", data={**form, "name": "Hacked", "_csrf_token": sent})
        assert refused.status_code == 403, sent
    assert (await User.objects().where(User.email == "ann@example.com").first()).name == "Ann C"
