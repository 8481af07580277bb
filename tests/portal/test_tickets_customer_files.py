"""Customers' attachments (checked, stored by content, served safely) and ratings on the page and by link."""

import asyncio
import hashlib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from auth.tables import Role
from portal.notify.tables import OutboxMessage
from portal.tickets import conversation, ratings, uploads
from portal.tickets.attachments import Incoming
from portal.tickets.filing import NewTicket
from portal.tickets.tables import Attachment, Rating, Ticket
from portal.tickets.visibility import number_of
from portal.web.app import create_app
from tests.conftest import browser, make_settings
from tests.helpers import create_user, csrf_token, post_form, sign_in
from tests.portal.test_tickets_customer import form_key, send, signed_in, ticket_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))


async def test_an_allowed_picture_is_stored_by_content_and_served_safely(client, settings):
    await signed_in(client, settings)
    response = await send(client, await form_key(client), files=[("attachments", ("screen shot.png", PNG, "x/y"))])
    assert response.status_code == 302
    page = await client.get(response.headers["location"])
    link = re.search(r'href="(/tickets/\d+/files/\d+)"', page.text).group(1)
    assert "screen shot.png" in page.text
    download = await client.get(link)
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"].startswith("image/png")  # ours, not the browser's "x/y"
    assert download.headers["content-disposition"].startswith("inline")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert download.headers["cache-control"] == "private"
    digest = hashlib.sha256(PNG).hexdigest()
    stored = settings.data_dir / "attachments" / digest[:2] / digest
    assert stored.read_bytes() == PNG and not stored.stat().st_mode & 0o111
    row = await Attachment.objects().first()
    assert (row.sha256, row.size, row.message) == (digest, len(PNG), None)


async def test_one_form_sent_at_once_makes_one_ticket_with_one_set_of_files(settings):
    ann = await create_user(settings, "ann@example.com")
    draft = NewTicket(type="question", subject="Double click", description="D", idempotency_key="f" * 32)

    def files():
        return [Incoming("shot.png", io.BytesIO(PNG))]

    filed = await asyncio.gather(*(uploads.file_ticket(settings, ann, draft, files()) for _ in range(4)))
    assert len({ticket.id for ticket in filed}) == 1
    assert await Ticket.count() == 1 and await Attachment.count() == 1


async def test_a_reply_carries_files_and_text_files_are_downloads(client, settings):
    ann = await signed_in(client, settings)
    ticket = await ticket_of(settings, ann)
    number = number_of(ticket.id)
    replied = await client.post(
        f"/tickets/{number}/messages",
        data={"body": "The log is attached.", "_csrf_token": await csrf_token(client)},
        files=[("attachments", ("router.log", b"12:00 reboot\n12:05 reboot\n", "text/html"))],
    )
    assert replied.status_code == 302
    row = await Attachment.objects().first()
    assert row.message is not None and row.content_type == "text/plain"
    download = await client.get(f"/tickets/{number}/files/{row.id}")
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("name", "content", "text"),
    [
        ("page.html", b"<html><body>hi</body></html>", "This kind of file cannot be attached"),
        ("setup.exe", b"MZ\x90\x00" + bytes(100), "This kind of file cannot be attached"),
        ("cat.png", b"<!DOCTYPE html><script>alert(1)</script>", "contents do not match its name"),
        ("notes.txt", b"<html><script>alert(1)</script></html>", "contents do not match its name"),
        ("empty.pdf", b"", "This file is empty"),
    ],
)
async def test_refused_files_are_named_and_nothing_is_written(client, settings, name, content, text):
    await signed_in(client, settings)
    for action in ("check", "file"):
        response = await send(client, await form_key(client), action=action, files=[("attachments", (name, content))])
        assert response.status_code == 400 and text in response.text and name in response.text
    assert await Ticket.count() == 0 and await Attachment.count() == 0
    assert not (settings.data_dir / "attachments").exists()


async def test_at_most_five_files(client, settings):
    await signed_in(client, settings)
    files = [("attachments", (f"{n}.png", PNG)) for n in range(6)]
    response = await send(client, await form_key(client), files=files)
    assert response.status_code == 400 and "Attach at most 5 files" in response.text
    assert await Ticket.count() == 0
    assert (await send(client, await form_key(client), files=files[:5])).status_code == 302
    assert await Attachment.count() == 5


async def test_a_file_over_the_limit_is_refused_with_a_clear_message(tmp_path, database_url):
    small = make_settings(tmp_path, database_url, PORTAL_ATTACHMENT_MAX_MB="1")
    assert small.attachment_max_bytes == 1024 * 1024
    async with browser(create_app(small)) as client:
        await signed_in(client, small)
        big = PNG + bytes(1024 * 1024)
        response = await send(client, await form_key(client), files=[("attachments", ("big.png", big))])
        assert response.status_code == 400 and "larger than the limit" in response.text and "big.png" in response.text
        assert await Ticket.count() == 0
        fits = PNG + bytes(1024 * 1024 - len(PNG))
        assert (
            await send(client, await form_key(client), files=[("attachments", ("ok.png", fits))])
        ).status_code == 302


async def _resolved(settings, ann):
    agent = await create_user(settings, "agent@example.com", Role.AGENT)
    ticket = await ticket_of(settings, ann)
    await conversation.reply(settings, agent, ticket, "Fixed: update the firmware.", then="resolved")
    return ticket


async def test_rating_on_the_ticket_page(client, settings):
    ann = await signed_in(client, settings)
    number = number_of((await _resolved(settings, ann)).id)
    assert "How did we do?" in (await client.get(f"/tickets/{number}")).text
    bad = await post_form(client, f"/tickets/{number}/rating", {"score": "9"})
    assert bad.status_code == 400 and "Choose a score from 1 to 5" in bad.text
    rated = await post_form(client, f"/tickets/{number}/rating", {"score": "5", "comment": "Quick!"})
    assert rated.status_code == 302
    page = (await client.get(rated.headers["location"])).text
    assert "You rated our answer 5 out of 5" in page and "How did we do?" not in page
    again = await post_form(client, f"/tickets/{number}/rating", {"score": "1"})
    assert again.status_code == 400 and "already rated" in again.text
    assert [(r["score"], r["comment"]) for r in await Rating.select()] == [(5, "Quick!")]


async def test_rating_by_the_emailed_link_records_only_on_submit(client, settings):
    ann = await create_user(settings, "ann@example.com")
    ticket = await _resolved(settings, ann)
    mails = " ".join(m["body_text"] for m in await OutboxMessage.select(OutboxMessage.body_text))
    path = re.search(r"http://portal\.test(/rate/\S+)", mails).group(1)
    page = await client.get(path)  # not signed in, as a mail scanner or the customer on a phone
    assert page.status_code == 200 and f"#{number_of(ticket.id)}" in page.text and await Rating.count() == 0
    rated = await post_form(client, path, {"score": "4"})
    assert rated.status_code == 302 and await Rating.count() == 1
    assert "You rated our answer 4 out of 5" in (await client.get(rated.headers["location"])).text
    again = await post_form(client, path, {"score": "1"})
    assert again.status_code == 400 and "already rated" in again.text
    assert [r["score"] for r in await Rating.select()] == [4]


async def test_expired_and_forged_rating_links_are_refused(client, settings):
    ann = await create_user(settings, "ann@example.com")
    ticket = await _resolved(settings, ann)
    old = ratings.make_token(settings.secret_key, ticket.id, 1, datetime.now(UTC) - timedelta(days=40))
    forged = ratings.make_token("another secret", ticket.id, 1)
    for token in (old, forged, "nonsense"):
        page = await client.get(f"/rate/{token}")
        assert page.status_code == 400 and "invalid or has expired" in page.text
        assert (await post_form(client, f"/rate/{token}", {"score": "5"})).status_code == 400
    assert await Rating.count() == 0


async def test_another_customer_cannot_rate_or_download(client, settings):
    ann = await create_user(settings, "ann@example.com")
    ticket = await _resolved(settings, ann)
    await create_user(settings, "bob@example.com")
    await sign_in(client, "bob@example.com")
    assert (await post_form(client, f"/tickets/{number_of(ticket.id)}/rating", {"score": "1"})).status_code == 404
    assert await Rating.count() == 0


async def test_only_the_requester_rates_even_a_colleague_who_shares_the_ticket(client, settings):
    from auth import organizations

    org = await organizations.create("Acme Ltd", shares_tickets=True)
    ann = await create_user(settings, "ann@example.com", organization_id=org.id)
    await create_user(settings, "cat@example.com", organization_id=org.id)
    number = number_of((await _resolved(settings, ann)).id)
    await sign_in(client, "cat@example.com")
    page = await client.get(f"/tickets/{number}")
    assert page.status_code == 200 and "How did we do?" not in page.text  # she reads it, but does not rate
    refused = await post_form(client, f"/tickets/{number}/rating", {"score": "1"})
    assert refused.status_code == 400 and "How did we do?" not in refused.text
    assert await Rating.count() == 0


async def test_a_resolved_ticket_asks_for_the_rating_first_and_confirms_it_once(client, settings):
    ann = await signed_in(client, settings)
    number = number_of((await _resolved(settings, ann)).id)
    page = (await client.get(f"/tickets/{number}")).text
    assert page.index('name="score"') < page.index('name="body"')  # the rating before the reply form
    for label in ("Bad", "Poor", "Fair", "Good", "Excellent"):
        assert f'<span class="score-label">{label}</span>' in page
    rated = await post_form(client, f"/tickets/{number}/rating", {"score": "4"})
    after = (await client.get(rated.headers["location"])).text
    assert after.count("Thank you") == 1 and "You rated our answer 4 out of 5" in after
