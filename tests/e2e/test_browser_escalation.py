"""The supervisor's loop in Chromium, with a real SMTP server: a customer files, nobody takes the ticket,
the escalation pass (on a controllable clock) mails the supervisor at the triage minute, the supervisor
opens the mail's link and assigns the ticket, and the escalation is cleared."""

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from portal.notify import sender
from portal.settings import Settings
from portal.sla import escalation
from portal.sla.tables import Escalation
from portal.tickets.tables import Ticket
from portal.tickets.visibility import id_of
from tests.e2e.conftest import free_port, new_page, serve, stop
from tests.e2e.test_browser_tickets import sign_in
from tests.tickets.test_ticket_mail import Inbox


@pytest.fixture
def smtp_portal(tmp_path, database_url):
    """`portal serve` with a real SMTP server; its background passes are the test's to run, on the
    test's clock (the server's own would run them on the wall clock)."""
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    env = {"PORTAL_SMTP_URL": f"smtp://127.0.0.1:{port}", "PORTAL_BACKGROUND_JOBS": "false"}
    process, portal = serve(tmp_path / "data", database_url, env)
    try:
        yield portal, inbox
    finally:
        stop(process)
        server.stop()


def received(inbox: Inbox, to: str, subject_start: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(inbox.messages):
            if message["To"].endswith(f"<{to}>") or message["To"] == to:
                if message["Subject"].startswith(subject_start):
                    return message
        time.sleep(0.2)
    seen = [(m["To"], m["Subject"]) for m in inbox.messages]
    raise AssertionError(f"no mail to {to} starting {subject_start!r} among {seen}")


async def _triage(settings: Settings, number: int) -> tuple[int, int]:
    """The escalation pass a minute before the triage moment, then at it (how many triage escalations
    there are after each), and the mail delivered over SMTP at that moment."""
    ticket = await Ticket.objects().where(Ticket.id == id_of(number)).first()
    assert ticket.triage_due is not None and ticket.assignee is None
    counts = []
    for moment in (ticket.triage_due - timedelta(minutes=1), ticket.triage_due):
        await escalation.run_pass(settings, moment)
        counts.append(await Escalation.count().where((Escalation.ticket == ticket.id) & (Escalation.stage == "triage")))
    transport = sender.transport_for(settings.smtp_url, settings.maildir)
    await sender.deliver_due(transport, settings.mail_from, ticket.triage_due)
    return counts[0], counts[1]


def test_nobody_takes_a_ticket_the_supervisor_is_mailed_and_assigns_it(smtp_portal, chromium):
    portal, inbox = smtp_portal
    customer = new_page(chromium)
    sign_in(customer, portal, "customer@example.com")
    customer.goto(portal.url + "/tickets/new")
    customer.get_by_label("Subject").fill("Quarterly export stops at 87 percent")
    customer.get_by_label("Description").fill("The export of the quarterly ledger stops at 87 percent each time.")
    customer.get_by_role("button", name="Send my request").last.click()
    anyway = customer.get_by_role("button", name="File my ticket anyway")
    if anyway.count():
        anyway.click()
    number = int(re.search(r"#(\d+)", customer.locator("h1").inner_text() + customer.content()).group(1))

    # The clock moves on to the triage moment: not a minute earlier, then exactly at it.
    settings = Settings.from_env(portal.env)
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        before, at = pool.submit(asyncio.run, _triage(settings, number)).result()
    assert (before, at) == (0, 1)

    mail = received(inbox, "supervisor@example.com", f"[#{number}]")
    text = mail.get_body(("plain",)).get_content()
    link = re.search(rf"{re.escape(portal.url)}/staff/tickets/{number}\b", text).group(0)

    supervisor = new_page(chromium)
    sign_in(supervisor, portal, "supervisor@example.com")
    supervisor.goto(link)
    assert f"#{number}" in supervisor.locator("h1").inner_text()
    supervisor.get_by_label("Assign to").select_option(label="Boris Agent (agent@example.com)")
    supervisor.get_by_role("button", name="Assign", exact=True).click()
    assignee = supervisor.locator("section[aria-labelledby=assign-title] p").first
    assert assignee.inner_text() == "Boris Agent"

    supervisor.goto(portal.url + "/staff/escalations")
    # The demo's own tickets may be escalated too: this one is off the list.
    listed = supervisor.locator("main").inner_text()
    assert "Escalations" in listed and f"#{number}" not in listed and "Quarterly export" not in listed


def test_the_service_levels_pages_fit_a_phone(served_portal, chromium):
    admin = new_page(chromium)
    admin.set_viewport_size({"width": 390, "height": 844})
    sign_in(admin, served_portal, "admin@example.com")
    for path in ("/admin/service-levels", "/admin/service-levels/1"):
        admin.goto(served_portal.url + path)
        assert admin.locator("h1").count() == 1
        assert admin.evaluate("document.documentElement.scrollWidth") <= 390, path
