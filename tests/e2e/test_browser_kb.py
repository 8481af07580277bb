"""A Russian reader in Chromium: a search with a typo still finds the article; they open it and vote."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from kb.tables import Article


async def _votes(slug: str) -> tuple[int, int]:
    article = await Article.objects().where(Article.slug == slug).first()
    return article.helpful_yes, article.helpful_no


def test_russian_search_with_a_typo_open_and_vote(served_portal, browser_page):
    page = browser_page
    page.goto(served_portal.url + "/kb")
    page.get_by_label("Language", exact=True).select_option("ru")
    page.get_by_role("button", name="Change").click()
    assert page.locator("html").get_attribute("lang") == "ru"

    page.get_by_label("Поиск по базе знаний").fill("забыл пороль")
    page.get_by_role("button", name="Найти").click()
    results = page.locator("ol.results h2 a")
    assert results.count() > 0
    assert "парол" in results.first.inner_text().lower()
    results.first.click()

    slug = page.url.split("/kb/")[1].split("?")[0]
    assert page.locator("h1").inner_text()
    page.get_by_label("Чего не хватило? (необязательно)").fill("Хотелось бы картинку")
    page.get_by_role("button", name="Нет").click()
    assert "Спасибо" in page.locator("#feedback [role=status]").inner_text()
    # Playwright's own event loop runs in this thread: ask the database from another one.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, _votes(slug)).result() == (0, 1)


def test_suggestions_are_a_combobox_the_keyboard_drives(served_portal, browser_page):
    page = browser_page
    page.goto(served_portal.url + "/kb")
    box = page.get_by_role("combobox", name="Search the knowledge base")
    box.press_sequentially("forgot pass", delay=20)
    options = page.get_by_role("listbox", name="Suggested articles").get_by_role("option")
    options.first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert options.locator("a").count() == 0  # no links nested inside options
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    assert options.first.get_attribute("aria-selected") == "true"
    assert box.evaluate("el => el === document.activeElement")  # the focus stays in the input
    box.press("Enter")
    page.wait_for_url("**/kb/reset-forgotten-password")
    assert "password" in page.locator("h1").inner_text().lower()
