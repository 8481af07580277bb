"""The help center a company puts its name on: its name, logo and colour from settings, topics and
popular articles on the home page, a language switcher that works without script, admin actions
that name what they act on."""

import pytest

from auth.tables import Role
from portal.settings import SettingsError
from portal.web.app import create_app
from tests.conftest import browser, make_settings
from tests.helpers import TEST_PASSWORD, create_user, post_form, sign_in
from tests.portal.test_kb_reader import publish


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"PORTAL_ACCENT_COLOUR": "blue"}, "must be a colour"),
        ({"PORTAL_ACCENT_COLOUR": "#ffeb3b"}, "too light"),
        ({"PORTAL_LOGO_URL": "javascript:alert(1)"}, "path on this site"),
        ({"PORTAL_LOGO_URL": "//evil.test/logo.png"}, "path on this site"),
        ({"PORTAL_LOGO_URL": '/static/logo.png" onerror="x'}, "quotes"),
    ],
)
def test_theme_settings_are_checked_at_start(tmp_path, database_url, env, complaint):
    with pytest.raises(SettingsError, match=complaint):
        make_settings(tmp_path, database_url, **env)


async def test_the_sites_name_logo_and_colour_are_shown(tmp_path, database_url):
    settings = make_settings(
        tmp_path,
        database_url,
        PORTAL_SITE_NAME="Acme Help",
        PORTAL_LOGO_URL="https://cdn.acme.test/logo.svg",
        PORTAL_ACCENT_COLOUR="#7A1F5C",
    )
    async with browser(create_app(settings)) as visitor:
        home = await visitor.get("/")
        assert "Acme Help" in home.text and 'src="https://cdn.acme.test/logo.svg"' in home.text
        assert 'href="/theme.css"' in home.text and "style=" not in home.text
        assert "img-src 'self' data: https://cdn.acme.test;" in home.headers["content-security-policy"]
        theme = await visitor.get("/theme.css")
        assert theme.headers["content-type"].startswith("text/css") and "--accent: #7a1f5c" in theme.text


async def test_the_home_page_shows_topics_and_popular_articles(client):
    await publish(client, "Reset a forgotten password", "Open **Sign in**.", category="account")
    await publish(client, "Track a parcel", "Open **Orders**.", category="orders")
    home = (await client.get("/")).text
    assert 'href="/kb/category/account"' in home and 'href="/kb/category/orders"' in home
    assert "Popular articles" in home and "Reset a forgotten password" in home
    assert 'name="lang"' in home and 'class="link-button">Change</button>' in home  # a quiet control, no script


async def test_staff_sign_in_leads_to_the_queue_and_customers_home(client, settings):
    await create_user(settings, "agent@example.com", Role.AGENT)
    await create_user(settings, "ann@example.com")
    assert (await sign_in(client, "agent@example.com")).headers["location"] == "/staff/tickets"
    assert (await client.get("/")).status_code == 200  # the home page stays open to staff
    await post_form(client, "/logout", {})
    asked = await post_form(
        client, "/login", {"email": "agent@example.com", "password": TEST_PASSWORD, "next": "/staff/insights"}
    )
    assert asked.headers["location"] == "/staff/insights"  # a page asked for wins
    await post_form(client, "/logout", {})
    assert (await sign_in(client, "ann@example.com")).headers["location"] == "/"


async def test_admin_actions_name_the_ticket_type(client, settings):
    await create_user(settings, "admin@example.com", Role.ADMIN)
    await create_user(settings, "root@example.com", Role.ADMIN, locale="ru")
    await sign_in(client, "admin@example.com")
    page = (await client.get("/admin/ticket-types")).text
    assert "Retire Critical incident" in page and "Retire critical_incident" not in page
    await post_form(client, "/logout", {})
    await sign_in(client, "root@example.com")
    assert "Отключить «Критический инцидент»" in (await client.get("/admin/ticket-types")).text
