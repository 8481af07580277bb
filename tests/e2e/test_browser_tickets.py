"""The whole loop in Chromium: a customer searches, is offered articles, files anyway, gets the
receipt; an agent answers; the customer sees it; the agent resolves; the customer rates."""

import re
import time

from portal.notify.mailbox import letters, text_of
from tests.e2e.conftest import new_page


def demo_password(portal, email: str) -> str:
    for line in (portal.data_dir / "demo-accounts.txt").read_text().splitlines():
        _role, address, password = line.split("\t")
        if address == email:
            return password
    raise AssertionError(f"no demo account {email}")


def sign_in(page, portal, email: str) -> None:
    page.goto(portal.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo_password(portal, email))
    page.get_by_role("button", name="Sign in").click()


def ask(page, portal, subject: str, description: str) -> None:
    """A customer sends the ticket form (which may first offer articles)."""
    page.goto(portal.url + "/tickets/new")
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Send my request").last.click()


def mail_to(maildir, to: str, subject_start: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for letter in letters(maildir):
            if letter.to == to and letter.subject.startswith(subject_start):
                return text_of(letter.message)
        time.sleep(0.2)
    raise AssertionError(f"no mail to {to} starting {subject_start!r}")


def test_file_answer_resolve_rate(served_portal, chromium):
    customer = new_page(chromium)
    sign_in(customer, served_portal, "customer@example.com")
    customer.goto(served_portal.url + "/kb/search?q=forgot+password")
    assert customer.locator("ol.results h2 a").count() > 0
    customer.get_by_role("link", name="Contact support").first.click()

    customer.get_by_label("Subject").fill("I forgot my password and the reset mail does not come")
    customer.get_by_label("Description").fill("I asked for the reset link twice, nothing arrived.")
    customer.get_by_role("button", name="Send my request").last.click()
    assert "these articles may help" in customer.locator("h1").inner_text()
    assert customer.locator("main h2 a").count() > 0  # the deflection suggestions
    customer.get_by_role("button", name="File my ticket anyway").click()

    heading = customer.locator("h1").inner_text()
    number = re.search(r"#(\d+)", heading + customer.content()).group(1)
    assert "We will answer by" in customer.content()
    receipt = mail_to(served_portal.data_dir / "mail", "customer@example.com", f"[#{number}]")
    assert "You will get our first answer by" in receipt

    agent = new_page(chromium)
    sign_in(agent, served_portal, "agent@example.com")
    agent.goto(f"{served_portal.url}/staff/tickets/{number}")
    agent.get_by_label("Message").fill("Check the spam folder; I also resent the link.")
    agent.get_by_role("button", name="Send", exact=True).click()
    mail_to(served_portal.data_dir / "mail", "customer@example.com", f"[#{number}]")

    customer.reload()
    assert "Check the spam folder" in customer.content()

    agent.get_by_label("New status").select_option("resolved")
    agent.get_by_role("button", name="Change status").click()

    customer.reload()
    customer.get_by_label("5 Excellent").check()
    customer.get_by_role("button", name="Send my rating").click()
    assert re.search(r"[Tt]hank", customer.content())
