"""A customer in Chromium: register, confirm by the emailed link, sign in, edit the profile, sign out."""

import re
import time

from portal.notify.mailbox import letters, text_of


def wait_for_mail(maildir, to: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for letter in letters(maildir):
            if letter.to == to:
                return text_of(letter.message)
        time.sleep(0.2)
    raise AssertionError(f"no mail to {to} within {timeout} s")


def test_register_verify_sign_in_profile_sign_out(served_portal, browser_page):
    page = browser_page
    page.goto(served_portal.url + "/")
    page.get_by_role("link", name="Create an account", exact=True).click()
    page.get_by_label("Your name").fill("Vera Browser")
    page.get_by_label("Email").fill("vera@example.com")
    page.get_by_label("Password", exact=True).fill("a long browser password")
    page.get_by_label("Repeat the password").fill("a long browser password")
    page.get_by_role("button", name="Create the account").click()
    assert "we sent you a link to confirm" in page.locator("[role=status]").inner_text()

    mail = wait_for_mail(served_portal.data_dir / "mail", "vera@example.com")
    link = re.search(r"http://\S+/verify\?token=\S+", mail).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm my email address").click()
    assert "Your email address is confirmed" in page.locator("[role=status]").inner_text()

    page.get_by_label("Email").fill("vera@example.com")
    page.get_by_label("Password").fill("a long browser password")
    page.get_by_role("button", name="Sign in").click()
    assert "Signed in as Vera Browser" in page.content()

    page.get_by_role("link", name="Profile", exact=True).click()
    page.locator("#f-name").fill("Vera B.")  # the profile form's name (the token form has one too)
    page.get_by_label("Language", exact=True).last.select_option("ru")
    page.get_by_label("Time zone").select_option("Europe/Moscow")
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Профиль сохранён." in page.locator("[role=status]").inner_text()
    assert page.locator("#f-name").input_value() == "Vera B."

    page.get_by_role("button", name="Выйти").click()
    assert page.url.endswith("/login?done=signed_out")
    page.goto(served_portal.url + "/profile")
    assert "/login" in page.url
