"""Signed-in pages kept per viewer (portal.web.viewer_cache): a copy goes only to its own viewer, never
outlives a change to what it shows, a sign-out or a deactivation, carries each browser's own CSRF
token, turns over with the minute, and the copies are bounded."""

import re

import asyncpg
import pytest

from auth.tables import Role, User
from portal import db
from portal.accounts.administration import save_user
from portal.tickets import conversation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Message, Ticket
from portal.tickets.visibility import number_of
from portal.web.page_cache import Copy
from portal.web.viewer_cache import ViewerCache, ViewerCacheMiddleware
from tests.conftest import PG_URL, browser
from tests.helpers import create_user, post_form, sign_in


def kept(app) -> ViewerCache:
    return next(m for m in app.middleware if isinstance(m, ViewerCacheMiddleware)).cache


@pytest.fixture
async def two(settings, app):
    ann = await create_user(settings, "ann@example.com", name="Ann Example")
    bob = await create_user(settings, "bob@example.com", name="Bob Example")
    anns = await open_ticket(settings, ann, NewTicket(type="question", subject="Ann's printer jams", description="D"))
    bobs = await open_ticket(settings, bob, NewTicket(type="question", subject="Bob's secret", description="D"))
    async with browser(app) as ann_browser, browser(app) as bob_browser:
        assert (await sign_in(ann_browser, "ann@example.com")).status_code == 302
        assert (await sign_in(bob_browser, "bob@example.com")).status_code == 302
        yield (ann, ann_browser, number_of(anns.id)), (bob, bob_browser, number_of(bobs.id))


async def test_interleaved_customers_only_ever_get_their_own_pages(app, two):
    (_ann, ann, anns), (_bob, bob, bobs) = two
    for _round in range(3):
        for client, own, other, mine, theirs in (
            (ann, anns, bobs, "Ann&#39;s printer jams", "Bob&#39;s secret"),
            (bob, bobs, anns, "Bob&#39;s secret", "Ann&#39;s printer jams"),
        ):
            page = await client.get(f"/tickets/{own}")
            assert page.status_code == 200 and mine in page.text and theirs not in page.text
            assert (await client.get(f"/tickets/{other}")).status_code == 404
            listed = await client.get("/tickets")
            assert mine in listed.text and theirs not in listed.text
            api = await client.get(f"/tickets/{own}")
            assert theirs not in api.text
    assert len(kept(app)) == 4  # each customer's page and list, kept and served again


async def test_a_change_by_any_writer_shows_at_once(settings, app, two):
    (_ann, ann, number), _bob = two
    assert "Which tray" not in (await ann.get(f"/tickets/{number}")).text
    assert "Waiting for your reply" not in (await ann.get("/tickets")).text
    agent = await create_user(settings, "agent@example.com", role=Role.AGENT, name="Alex Agent")
    ticket = await Ticket.objects().where(Ticket.id == number - number_of(0)).first()
    await conversation.reply(settings, agent, ticket, "Which tray is it?", then="pending")
    page = (await ann.get(f"/tickets/{number}")).text
    assert "Which tray is it?" in page
    # A write this process's code never saw (another process, another node, a console) shows as well.
    async with db.write_transaction():
        await Message.raw(
            "INSERT INTO ticket_message (ticket, author, body, internal, created_at) VALUES ({}, {}, {}, false, {})",
            ticket.id,
            agent.id,
            "The second tray, then.",
            ticket.created_at,
        )
    assert "The second tray, then." in (await ann.get(f"/tickets/{number}")).text
    assert "Waiting for your reply" in (await ann.get("/tickets")).text
    # The viewer's own reply, from any page of theirs, is on the next page they load.
    answer = await post_form(ann, f"/tickets/{number}/messages", {"body": "It is the second tray."})
    assert answer.status_code == 302
    assert "It is the second tray." in (await ann.get(f"/tickets/{number}")).text


async def test_a_signed_out_or_deactivated_viewer_gets_no_copy(settings, app, two):
    (_ann, ann, number), (bob_user, bob, bobs) = two
    assert (await ann.get(f"/tickets/{number}")).status_code == 200
    cookie = ann.cookies["portal_session"]
    assert (await post_form(ann, "/logout", {})).status_code == 302
    async with browser(app) as stolen:  # the old cookie, replayed
        stolen.cookies.set("portal_session", cookie)
        replayed = await stolen.get(f"/tickets/{number}")
    assert replayed.status_code != 200 and "printer jams" not in replayed.text

    assert (await bob.get(f"/tickets/{bobs}")).status_code == 200
    admin = await create_user(settings, "admin@example.com", role=Role.ADMIN)
    account = await User.objects().where(User.id == bob_user.id).first()
    await save_user(admin, account, "customer", "", active=False)
    gone = await bob.get(f"/tickets/{bobs}")
    assert gone.status_code != 200 and "secret" not in gone.text


async def test_each_browser_gets_its_own_csrf_token_in_a_kept_page(app, two):
    (_ann, first, number), _bob = two
    async with browser(app) as second:
        assert (await sign_in(second, "ann@example.com")).status_code == 302
        for client in (first, second, first, second):
            page = (await client.get(f"/tickets/{number}")).text
            tokens = set(re.findall(r'name="_csrf_token" value="([0-9a-f]+)"', page))
            assert tokens == {client.cookies["csrftoken"]}
        assert first.cookies["csrftoken"] != second.cookies["csrftoken"]
        # A browser that lost its token gets a new one with its cookie, in the page and the header.
        old = second.cookies["csrftoken"]
        second.cookies.delete("csrftoken")
        page = await second.get(f"/tickets/{number}")
        new = second.cookies["csrftoken"]
        assert new != old and set(re.findall(r'name="_csrf_token" value="([0-9a-f]+)"', page.text)) == {new}
        sent = await post_form(second, f"/tickets/{number}/messages", {"body": "From my phone."})
        assert sent.status_code == 302


def copy(size: int) -> Copy:
    return Copy([], (b"x" * size,), (), (), 0, size)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_020.0

    def __call__(self) -> float:
        return self.now


def viewer(**changes) -> User:
    fields = {"id": 1, "role": "customer", "organization": None, "locale": "en", "time_zone": "UTC", "name": "Ann"}
    return User(**{**fields, **changes})


def test_a_copy_lasts_until_the_minute_turns_or_the_viewer_changes():
    clock = Clock()
    cache = ViewerCache(clock=clock)
    cache.put(("k",), cache.stamp((3,), viewer()), copy(10))
    assert cache.get(("k",), cache.stamp((3,), viewer())) is not None
    assert cache.get(("k",), cache.stamp((4,), viewer())) is None  # the data moved on
    assert cache.get(("k",), cache.stamp((3,), viewer(time_zone="Europe/Moscow"))) is None
    clock.now += 60
    assert cache.get(("k",), cache.stamp((3,), viewer())) is None


def test_copies_are_bounded_the_least_recently_served_go_first():
    cache = ViewerCache(max_bytes=100)
    stamp = cache.stamp((1,), viewer())
    for key in ("a", "b", "c"):
        cache.put((key,), stamp, copy(40))
    assert len(cache) == 2 and cache.get(("a",), stamp) is None
    assert cache.get(("b",), stamp) is not None
    cache.put(("d",), stamp, copy(40))  # "c" was served longest ago
    assert cache.get(("c",), stamp) is None and cache.get(("b",), stamp) is not None
    cache.put(("huge",), stamp, copy(101))
    assert cache.get(("huge",), stamp) is None


@pytest.fixture
async def agent_browser(settings, app):
    await create_user(settings, "agent@example.com", role=Role.AGENT, name="Alex Agent")
    async with browser(app) as client:
        assert (await sign_in(client, "agent@example.com")).status_code == 302
        yield client


async def test_the_staff_queue_shows_every_change_at_once(settings, app, two, agent_browser):
    (ann_user, _ann, anns), _bob = two
    queue = (await agent_browser.get("/staff/tickets")).text
    assert "Ann&#39;s printer jams" in queue and "Bob&#39;s secret" in queue
    assert (await agent_browser.get("/staff/tickets")).text.count("printer jams") == queue.count("printer jams")
    await open_ticket(settings, ann_user, NewTicket(type="question", subject="Scanner is silent", description="D"))
    assert "Scanner is silent" in (await agent_browser.get("/staff/tickets")).text
    async with db.write_transaction():  # as another process would
        await Ticket.raw("UPDATE ticket SET subject = 'Printer fixed?' WHERE id = {}", anns - number_of(0))
    assert "Printer fixed?" in (await agent_browser.get("/staff/tickets")).text
    # The bare queue shows the agent's saved choice, wherever it was saved.
    assert (await agent_browser.get("/staff/tickets", params={"q": "Scanner"})).status_code == 200
    bare = (await agent_browser.get("/staff/tickets")).text
    assert "Scanner is silent" in bare and "Printer fixed?" not in bare


async def test_a_writer_still_running_when_the_queue_was_read_shows_once_it_commits(
    settings, app, two, agent_browser, database_url
):
    """PostgreSQL: a writer that took its version before another writer committed a higher one, and
    commits after the queue was read, still shows (SQLite lets one writer in at a time)."""
    (_ann_user, _ann, anns), (_bob_user, _bob, bobs) = two
    if not PG_URL:
        async with db.write_transaction():
            await Ticket.raw("UPDATE ticket SET subject = 'Late change' WHERE id = {}", anns - number_of(0))
        await Ticket.raw("UPDATE ticket SET subject = 'Early change' WHERE id = {}", bobs - number_of(0))
        page = (await agent_browser.get("/staff/tickets")).text
        assert "Late change" in page and "Early change" in page
        return
    slow = await asyncpg.connect(database_url)
    try:
        late = slow.transaction()
        await late.start()
        await slow.execute("UPDATE ticket SET subject = 'Late change' WHERE id = $1", anns - number_of(0))
        await Ticket.raw("UPDATE ticket SET subject = 'Early change' WHERE id = {}", bobs - number_of(0))
        page = (await agent_browser.get("/staff/tickets")).text
        assert "Early change" in page and "Late change" not in page
        await late.commit()
    finally:
        await slow.close()
    assert "Late change" in (await agent_browser.get("/staff/tickets")).text
