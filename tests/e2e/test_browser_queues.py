"""An agent's morning on a phone-sized screen: the overdue queue without sideways scrolling, a bulk
take by checkboxes, a duplicate merged from its page; and the customer's view of the merged ticket."""

import re

from tests.e2e.conftest import new_page
from tests.e2e.test_browser_tickets import sign_in

PHONE = {"width": 390, "height": 844}


def file_ticket(page, portal, subject: str) -> str:
    page.goto(portal.url + "/tickets/new")
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Description").fill("The printer on the second floor smokes.")
    page.get_by_role("button", name="Send my request").last.click()
    if page.get_by_role("button", name="File my ticket anyway").count():
        page.get_by_role("button", name="File my ticket anyway").click()
    return re.search(r"#(\d+)", page.locator("h1").inner_text()).group(1)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_agents_morning_on_a_phone(served_portal, chromium):
    customer = new_page(chromium)
    sign_in(customer, served_portal, "customer@example.com")
    first = file_ticket(customer, served_portal, "Printer smokes on floor two")
    second = file_ticket(customer, served_portal, "Smoke from the printer again")

    agent = new_page(chromium)
    agent.set_viewport_size(PHONE)
    sign_in(agent, served_portal, "agent@example.com")
    agent.goto(served_portal.url + "/staff/tickets?view=pool")
    assert no_sideways_scroll(agent)
    agent.get_by_label(f"Select ticket #{first}").check()
    agent.get_by_label(f"Select ticket #{second}").check()
    agent.get_by_label("Take them").check()
    agent.get_by_role("button", name="Apply to the selected").click()
    assert "Done for 2 tickets" in agent.content()

    agent.goto(served_portal.url + "/staff/tickets")  # bare: the queue the agent chose last
    assert agent.locator("a[aria-current=page]").inner_text().startswith("Unassigned")
    agent.goto(served_portal.url + "/staff/tickets?view=mine")
    assert no_sideways_scroll(agent)
    assert agent.get_by_role("link", name=f"#{first}").count() == 1

    agent.goto(f"{served_portal.url}/staff/tickets/{second}")
    agent.get_by_label("Merge this duplicate into ticket number").fill(first)
    agent.get_by_role("button", name="Merge", exact=True).click()
    assert f"/staff/tickets/{first}" in agent.url and "Smoke from the printer again" in agent.content()

    customer.goto(f"{served_portal.url}/tickets/{second}")
    customer.get_by_role("link", name=f"ticket #{first}").click()
    assert customer.url.endswith(f"/tickets/{first}")
