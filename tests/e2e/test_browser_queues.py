"""An agent's morning in Chromium, on a phone-sized screen: the overdue queue, a bulk take by
checkboxes, one ticket answered with an article, a duplicate merged, another answered with a canned
reply; then the customer's view of all three."""

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from portal.tickets.tables import Ticket
from portal.tickets.visibility import id_of
from tests.e2e.conftest import new_page
from tests.e2e.test_browser_tickets import sign_in

PHONE = {"width": 390, "height": 844}
# Every moment a ticket keeps: moved back together, its deadlines stay where its plan put them.
MOMENTS = (
    Ticket.created_at,
    Ticket.updated_at,
    Ticket.triage_due,
    Ticket.first_response_due,
    Ticket.first_response_warn_at,
    Ticket.resolution_due,
    Ticket.resolution_warn_at,
    Ticket.escalate_at,
)


def file_ticket(page, portal, subject: str, description: str = "The printer on the second floor smokes.") -> str:
    page.goto(portal.url + "/tickets/new")
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Send my request").last.click()
    if page.get_by_role("button", name="File my ticket anyway").count():
        page.get_by_role("button", name="File my ticket anyway").click()
    return re.search(r"#(\d+)", page.locator("h1").inner_text()).group(1)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def _filed_earlier(numbers: list[str], by: timedelta) -> None:
    for number in numbers:
        ticket = id_of(int(number))
        row = await Ticket.select(*MOMENTS).where(Ticket.id == ticket).first()
        moved = {column: row[column._meta.name] - by for column in MOMENTS if row[column._meta.name] is not None}
        await Ticket.update(moved).where(Ticket.id == ticket)


def filed_earlier(numbers: list[str], by: timedelta) -> None:
    """The served portal keeps the wall clock: the tickets move back instead, as if filed `by` earlier.
    In a thread of its own: Playwright's sync API keeps an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _filed_earlier(numbers, by)).result()


def queue_row(page, number: str):
    return page.locator("tr", has=page.get_by_label(f"Select ticket #{number}"))


def test_an_agents_morning_on_a_phone(served_portal, chromium):
    customer = new_page(chromium)
    sign_in(customer, served_portal, "customer@example.com")
    firmware = file_ticket(customer, served_portal, "Firmware update fails on my router", "Error E42 at 60 %.")
    again = file_ticket(customer, served_portal, "Router firmware update failed again", "Same error, E42.")
    invoice = file_ticket(customer, served_portal, "Copy of my October invoice", "I lost the PDF.")
    # A week back: whatever the weekday, the first deadlines the plan set in working hours have passed (two
    # days were not enough on a Friday, whose deadlines fall on Monday).
    filed_earlier([firmware, again, invoice], timedelta(days=7))

    agent = new_page(chromium)
    agent.set_viewport_size(PHONE)
    sign_in(agent, served_portal, "agent@example.com")
    agent.goto(served_portal.url + "/staff/tickets?view=overdue")
    assert no_sideways_scroll(agent)
    for number in (firmware, again, invoice):
        assert re.search(r"overdue by \d+ (hours|days)", queue_row(agent, number).inner_text())
        agent.get_by_label(f"Select ticket #{number}").check()
    agent.get_by_label("Take them").check()
    agent.get_by_role("button", name="Apply to the selected").click()
    assert "Done for 3 tickets" in agent.content()
    agent.goto(served_portal.url + "/staff/tickets")  # bare: the queue the agent chose last
    assert agent.locator("a[aria-current=page]").inner_text().startswith("Overdue")
    agent.goto(served_portal.url + "/staff/tickets?view=mine")
    assert all(queue_row(agent, number).count() == 1 for number in (firmware, again, invoice))

    # The first one is answered by an article of the knowledge base, found from the ticket.
    agent.goto(f"{served_portal.url}/staff/tickets/{firmware}")
    assert no_sideways_scroll(agent)
    agent.get_by_label("Search articles").fill("firmware update")
    agent.get_by_label("Search articles").press("Enter")
    agent.get_by_role("button", name="Answer with this article: Firmware update fails").click()
    assert "This article answers your question" in agent.locator(".timeline").inner_text()

    # The second is the same question: merged into the first, whose page opens.
    agent.goto(f"{served_portal.url}/staff/tickets/{again}")
    agent.get_by_label("Merge this duplicate into ticket number").fill(firmware)
    agent.get_by_role("button", name="Merge", exact=True).click()
    assert f"/staff/tickets/{firmware}?" in agent.url and "Same error, E42." in agent.content()

    # The third gets a canned reply, made once and inserted into the message.
    agent.goto(served_portal.url + "/staff/canned-replies")
    agent.get_by_label("Title").fill("Invoice copy")
    agent.get_by_label("Text (Markdown)").fill(
        "Hello {customer_first_name}, the invoice is under Billing on your profile."
    )
    agent.get_by_role("button", name="Add the reply").click()
    agent.goto(f"{served_portal.url}/staff/tickets/{invoice}")
    agent.get_by_label("Canned reply").select_option(label="Invoice copy (EN)")
    agent.get_by_role("button", name="Insert", exact=True).click()
    assert agent.get_by_label("Message").input_value() == "Hello Anna, the invoice is under Billing on your profile."
    agent.get_by_role("button", name="Send", exact=True).click()

    customer.goto(served_portal.url + "/tickets")
    for number, status in (
        (firmware, "Answered, waiting for you"),
        (again, "Closed"),
        (invoice, "Answered, waiting for you"),
    ):
        assert status in customer.locator("tr", has=customer.get_by_role("link", name=f"#{number}")).inner_text()
    customer.goto(f"{served_portal.url}/tickets/{firmware}")
    article = customer.get_by_role("link", name="Firmware update fails")
    assert article.get_attribute("href").endswith("/kb/firmware-update-fails")
    assert "What the firmware update error codes mean" in customer.locator("main").inner_text()
    customer.goto(f"{served_portal.url}/tickets/{again}")
    customer.get_by_role("link", name=f"ticket #{firmware}").click()
    assert customer.url.endswith(f"/tickets/{firmware}") and "Same error, E42." in customer.content()
    customer.goto(f"{served_portal.url}/tickets/{invoice}")
    assert "Hello Anna, the invoice is under Billing on your profile." in customer.locator("main").inner_text()
    assert "Answered, waiting for you" in customer.locator(".current-status").inner_text()
