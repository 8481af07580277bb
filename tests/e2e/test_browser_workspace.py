"""An agent's reply toolkit in Chromium at phone width: a canned reply made on its page, inserted at
the cursor by the script and sent; the customer reads it as an answer waiting for them."""

import re

from tests.e2e.conftest import new_page
from tests.e2e.test_browser_tickets import ask, sign_in

PHONE = {"width": 390, "height": 844}


def fits(page) -> bool:
    """No sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_canned_reply_is_inserted_at_the_cursor_on_a_phone(served_portal, chromium):
    customer = new_page(chromium)
    sign_in(customer, served_portal, "customer@example.com")
    ask(customer, served_portal, "The printer jams every morning", "The second tray jams on the first page.")
    anyway = customer.get_by_role("button", name="File my ticket anyway")
    if anyway.count():
        anyway.click()
    number = re.search(r"#(\d+)", customer.locator("h1").inner_text()).group(1)

    agent = new_page(chromium)
    agent.set_viewport_size(PHONE)
    sign_in(agent, served_portal, "agent@example.com")
    agent.goto(served_portal.url + "/staff/canned-replies")
    agent.get_by_label("Title").fill("Greeting")
    agent.get_by_label("Text (Markdown)").fill("Hello {customer_first_name}!")
    agent.get_by_role("button", name="Add the reply").click()
    assert "Greeting" in agent.locator("table").inner_text() and fits(agent)

    agent.goto(f"{served_portal.url}/staff/tickets/{number}")
    assert fits(agent)
    box = agent.get_by_label("Message")
    box.fill("Dear customer, please try the first tray.")
    box.evaluate("el => el.setSelectionRange(0, 13)")  # "Dear customer" selected: the reply replaces it
    agent.get_by_role("button", name="Insert", exact=True).click()
    assert agent.url.endswith(f"/staff/tickets/{number}")  # inserted in place, no reload
    assert box.input_value() == "Hello Anna!, please try the first tray."
    agent.get_by_role("button", name="Send", exact=True).click()

    customer.reload()
    assert "Hello Anna!, please try the first tray." in customer.content()
    assert "Answered, waiting for you" in customer.content()
