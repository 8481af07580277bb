"""The agent's path in Chromium: a recurring question found in the ticket history, a resolved ticket
turned into a scrubbed draft, published, offered to the next customer while filing, and used to
answer that customer's ticket in one click."""

import json
import re
import subprocess
import sys

from playwright.sync_api import expect

from tests.e2e.conftest import new_page
from tests.e2e.test_browser_tickets import ask, sign_in

HISTORY = [
    "How do I change the delivery address of my order 3707955617?",
    "I need to change the delivery address on my order",
    "Can I change the delivery address after ordering? Order 4411",
    "change delivery address for order please",
]
RESPONSE = "Hi Maria, open Orders, choose the order and press Change address before it ships. Regards, Tom"


def portal_cli(portal, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli", *args], env=portal.env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_agent_turns_a_recurring_question_into_an_article_and_answers_with_it(served_portal, chromium, tmp_path):
    history = tmp_path / "history.jsonl"
    history.write_text(
        "\n".join(json.dumps({"id": f"h{i}", "text": text, "response": RESPONSE}) for i, text in enumerate(HISTORY)),
        encoding="utf-8",
    )
    portal_cli(served_portal, "insights", "import-tickets", str(history))

    agent = new_page(chromium)
    sign_in(agent, served_portal, "agent@example.com")
    agent.goto(served_portal.url + "/staff/insights")
    agent.get_by_role("button", name="Regroup now").click()
    expect(agent.locator("main")).to_contain_text("grouped anew")
    agent.get_by_role("link", name=re.compile("delivery address", re.I)).first.click()
    expect(agent.locator("table tbody tr")).to_have_count(len(HISTORY))
    agent.get_by_role("link", name="Draft an article").click()

    expect(agent.locator("main")).to_contain_text("Personal data removed")
    body = agent.get_by_label("Text").input_value()
    assert "Change address" in body and "Maria" not in body and "3707955617" not in body
    agent.get_by_label("Title").fill("Change the delivery address of an order")
    agent.get_by_role("button", name="Save", exact=True).click()
    expect(agent.locator("main")).to_contain_text("links to the tickets it came from")
    expect(agent.locator("main")).to_contain_text(f"Written from {len(HISTORY)} tickets")
    agent.get_by_role("button", name="Send to review").click()
    agent.get_by_role("button", name="Publish").click()
    expect(agent.locator("main")).to_contain_text("Open the public page")

    customer = new_page(chromium)
    sign_in(customer, served_portal, "customer@example.com")
    ask(customer, served_portal, "How can I change the delivery address of my order?", "I moved last week.")
    expect(customer.get_by_role("link", name="Change the delivery address of an order").first).to_be_visible()
    customer.get_by_role("button", name="File my ticket anyway").click()
    expect(customer.locator("h1")).to_contain_text("#")
    number = re.search(r"#(\d+)", customer.locator("h1").inner_text()).group(1)

    agent.goto(served_portal.url + "/staff/insights")
    agent.get_by_role("button", name="Regroup now").click()
    expect(agent.locator("main")).to_contain_text("grouped anew")
    agent.goto(f"{served_portal.url}/staff/tickets/{number}")
    agent.get_by_role("button", name="Answer with this article").click()
    expect(agent.locator("main")).to_contain_text("This article answers your question")
    customer.reload()
    expect(customer.get_by_role("link", name="Change the delivery address of an order").first).to_be_visible()
