"""Dates and times as readers see them: their own time zone, minutes without seconds or "UTC",
deadlines also as how far away they are (to customers, and to staff while the clock runs), in English
and Russian; registration asks for the zone."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from auth import users
from auth.tables import Role, User
from portal import i18n
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Ticket
from portal.tickets.visibility import number_of
from portal.web.app import create_app
from tests.conftest import browser, make_settings
from tests.helpers import TEST_PASSWORD, create_user, post_form, sign_in
from tests.portal.test_kb_reader import publish
from tests.portal.test_tickets_customer import signed_in, ticket_of

NOW = datetime(2026, 12, 3, 10, 28, 42, tzinfo=UTC)
SECONDS = re.compile(r"\d:\d\d:\d\d")


def test_times_have_minutes_but_no_seconds_or_zone_name():
    assert i18n.format_when(NOW, "Europe/Moscow", "en") == "Dec 3, 2026, 1:28\u202fPM"
    assert i18n.format_when(NOW, "Europe/Moscow", "ru") == "3 дек. 2026\u202fг., 13:28"
    for style in ("medium", "long"):
        for locale in ("en", "ru"):
            text = i18n.format_when(NOW, "America/New_York", locale, style)
            assert not SECONDS.search(text) and "UTC" not in text and "GMT" not in text


@pytest.mark.parametrize(
    ("left", "english", "russian"),
    [
        (timedelta(hours=3), "in 3 hours (Dec 3, 2026, 4:28\u202fPM)", "через 3 часа (3 дек. 2026\u202fг., 16:28)"),
        (timedelta(minutes=21), "in 21 minutes", "через 21 минуту"),
        (timedelta(minutes=5), "in 5 minutes", "через 5 минут"),
        (timedelta(hours=-2), "overdue by 2 hours", "просрочено на 2 часа"),
        (timedelta(hours=-1), "overdue by 1 hour", "просрочено на 1 час"),
        (timedelta(days=-5), "overdue by 5 days", "просрочено на 5 дней"),
        (timedelta(hours=8), "today 9:28\u202fPM", "сегодня в 21:28"),
        (timedelta(hours=22), "tomorrow 11:28\u202fAM", "завтра в 11:28"),
        (timedelta(days=3), "Dec 6, 2026, 1:28\u202fPM", "6 дек. 2026\u202fг., 13:28"),
    ],
)
def test_deadlines_read_as_how_far_away_they_are(left, english, russian):
    assert i18n.format_due(NOW + left, NOW, "Europe/Moscow", "en").startswith(english)
    assert i18n.format_due(NOW + left, NOW, "Europe/Moscow", "ru").startswith(russian)


async def test_registration_asks_for_the_time_zone_and_keeps_it(client):
    page = await client.get("/register")
    assert 'name="time_zone"' in page.text and '<option value="UTC" selected>' in page.text
    assert "data-browser-zone" in page.text  # portal.js preselects the browser's zone
    form = {"name": "Ann", "email": "ann@example.com", "password": TEST_PASSWORD, "password2": TEST_PASSWORD}
    bad = await post_form(client, "/register", {**form, "time_zone": "Mars/Olympus"})
    assert bad.status_code == 400 and "Choose a time zone from the list" in bad.text
    assert await User.count() == 0
    done = await post_form(client, "/register", {**form, "time_zone": "Asia/Tokyo"})
    assert done.status_code == 302
    assert (await User.objects().first()).time_zone == "Asia/Tokyo"


async def test_a_customers_ticket_shows_times_in_their_zone_and_the_deadline_from_now(client, settings):
    ann = await signed_in(client, settings)
    await users.update_profile(ann, users.Profile(ann.name, "en", "Asia/Tokyo"))
    ticket = await ticket_of(settings, ann)
    # The deadline set three hours ahead of the real clock: the service level's working hours would put
    # it anywhere from hours to days away, depending on the day of the week the test runs.
    due = datetime.now(UTC) + timedelta(hours=3, minutes=1)
    await Ticket.update({Ticket.first_response_due: due, Ticket.resolution_due: due}).where(Ticket.id == ticket.id)
    page = (await client.get("/tickets")).text + (await client.get(f"/tickets/{number_of(ticket.id)}")).text
    filed = i18n.format_when(ticket.created_at, "Asia/Tokyo", "en")
    assert filed in page and not SECONDS.search(page) and " UTC" not in page
    assert "in 3 hours" in page


async def test_visitors_see_times_in_the_sites_zone(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url, PORTAL_DEFAULT_TIME_ZONE="Asia/Tokyo")
    async with browser(create_app(settings)) as visitor:
        article = await publish(visitor, "Reset a forgotten password", "Open **Sign in**.")
        page = await visitor.get(f"/kb/{article.slug}")
        assert i18n.format_when(article.updated_at, "Asia/Tokyo", "en", "long") in page.text
        assert not SECONDS.search(page.text)


async def test_staff_read_a_running_deadline_from_now_and_a_kept_or_missed_one_as_its_time(client, settings):
    ann = await create_user(settings, "ann@example.com", name="Ann Customer")
    agent = await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent")
    ticket = await open_ticket(settings, ann, NewTicket(type="incident", subject="Printer on fire", description="!"))
    now = datetime.now(UTC)
    first_due = now - timedelta(hours=2)
    await Ticket.update(
        {Ticket.first_response_due: first_due, Ticket.resolution_due: now + timedelta(hours=3, minutes=1)}
    ).where(Ticket.id == ticket.id)
    assert (await sign_in(client, "agent@example.com")).status_code == 302
    page = f"/staff/tickets/{number_of(ticket.id)}"
    queue, facts = (await client.get("/staff/tickets")).text, (await client.get(page)).text
    assert "overdue by 2 hours" in queue and "in 3 hours" not in queue  # the deadline that matters next
    assert "overdue by 2 hours" in facts and "in 3 hours" in facts

    # Answered an hour late: the first response is history, the queue counts down to the resolution.
    await Ticket.update({Ticket.first_responded_at: now - timedelta(hours=1)}).where(Ticket.id == ticket.id)
    queue, facts = (await client.get("/staff/tickets")).text, (await client.get(page)).text
    assert "in 3 hours" in queue and "overdue by" not in queue
    assert "in 3 hours" in facts and i18n.format_when(first_due, "UTC", "en") in facts and "overdue by" not in facts

    await users.update_profile(agent, users.Profile(agent.name, "ru", "UTC"))
    for text in ((await client.get("/staff/tickets")).text, (await client.get(page)).text):
        assert "через 3 часа" in text
