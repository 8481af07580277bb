"""What tests do as a browser or an operator would: post forms with CSRF, sign in, read the outbox, open a
ticket in several pages at once."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

from litestar.testing import AsyncTestClient

from auth.tables import Role
from portal.notify.tables import OutboxMessage
from portal.settings import Settings
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Event, Ticket

TEST_PASSWORD = "correct horse battery"


async def csrf_token(client: AsyncTestClient) -> str:
    if "csrftoken" not in client.cookies:
        await client.get("/login")
    return client.cookies["csrftoken"]


async def post_form(client: AsyncTestClient, url: str, data: dict[str, str], **kwargs):
    """A form post as a browser sends it: with the CSRF token from the cookie."""
    return await client.post(url, data={**data, "_csrf_token": await csrf_token(client)}, **kwargs)


async def create_user(
    settings: Settings,
    email: str = "ann@example.com",
    role: Role = Role.CUSTOMER,
    password: str = TEST_PASSWORD,
    name: str = "Ann Example",
    locale: str = "en",
    organization_id: int | None = None,
):
    from portal.accounts.flows import create_account

    return await create_account(
        settings, email, name, role, organization_id=organization_id, password=password, locale=locale
    )


async def sign_in(client: AsyncTestClient, email: str, password: str = TEST_PASSWORD):
    return await post_form(client, "/login", {"email": email, "password": password})


async def last_mail(to: str) -> OutboxMessage:
    message = (
        await OutboxMessage.objects()
        .where(OutboxMessage.to_address == to)
        .order_by(OutboxMessage.id, ascending=False)
        .first()
    )
    assert message is not None, f"no mail to {to}"
    return message


def link_in(message: OutboxMessage, path: str) -> str:
    """The path and query of the link to `path` in a mail's text, as the browser would open it."""
    found = re.search(rf"http://portal\.test({re.escape(path)}\?\S+)", message.body_text)
    assert found, f"no link to {path} in: {message.body_text}"
    return found.group(1)


ROOT = Path(__file__).resolve().parents[1]


def start_child(script: Path, *args: str) -> subprocess.Popen:
    """One of the tests' scripts in a process of its own, spoken to a line at a time (stdin, stdout)."""
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def line_from(process: subprocess.Popen, within_s: float) -> str:
    """The child's next line, stripped; TimeoutError if none comes within `within_s`."""
    return (await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), within_s)).strip()


async def read_by_pages(settings, who, n: int, ticket_type: str = "incident") -> list[Ticket]:
    """A new ticket of `who`'s as `n` pages opened on it read it, before any of them changes it."""
    ticket = await open_ticket(settings, who, NewTicket(type=ticket_type, subject="Router", description="Reboots."))
    return [await Ticket.objects().where(Ticket.id == ticket.id).first() for _ in range(n)]


async def events_of(ticket: Ticket, kind: str) -> list[Event]:
    return await Event.objects().where((Event.ticket == ticket.id) & (Event.kind == kind)).order_by(Event.id)
