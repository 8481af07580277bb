"""A fresh install's demo: accounts to sign in as, and tickets that give the queue and
"Recurring questions" something real to show."""

import stat

from portal.cli.demo import ACCOUNTS_FILE, seed_if_empty
from portal.tickets.tables import Ticket
from tests.helpers import post_form


async def test_the_demo_fills_recurring_questions_and_signs_staff_into_their_queue(client, settings):
    accounts = {account.email: account for account in await seed_if_empty(settings)}
    assert await Ticket.count() >= 6
    # The passwords `portal serve` printed once are kept where it said, for the owner's eyes only.
    kept = settings.data_dir / ACCOUNTS_FILE
    assert f"agent\tagent@example.com\t{accounts['agent@example.com'].password}" in kept.read_text()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    agent = accounts["agent@example.com"]
    signed = await post_form(client, "/login", {"email": agent.email, "password": agent.password})
    assert signed.status_code == 302 and signed.headers["location"] == "/staff/tickets"
    insights = (await client.get("/staff/insights")).text
    assert "The password reset email never arrives" in insights and "Where is the invoice" in insights
    assert (await client.get("/")).status_code == 200  # the home page stays reachable for staff
    assert await seed_if_empty(settings) == []  # only ever on an empty database
