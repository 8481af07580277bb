"""The knowledge base as a new customer meets it, on the shipped content: suggestions while typing, both
languages, nonsense that finds nothing, translations that open, and suggestion boxes a screen reader can use."""

import re
from pathlib import Path

import pytest

from portal.knowledge import content
from tests.helpers import post_form

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
async def shipped(client):
    await content.import_articles(client.app.state.kb, CONTENT)
    return client


async def suggested(client, q, **params):
    answer = await client.get("/api/kb/suggest", params={"q": q, **params})
    assert answer.status_code == 200
    return [s["slug"] for s in answer.json()["suggestions"]]


@pytest.mark.parametrize(
    ("typed", "locale", "article", "finished"),
    [
        ("Refund for order 1234 has not arrived", "en", "refund-timelines", True),  # the ticket form's example
        ("Refund for order 1234 has not arr", "en", "refund-timelines", False),  # the last word being typed
        ("forgot password", "en", "reset-forgotten-password", True),
        ("forgot pass", "en", "reset-forgotten-password", False),
        ("pasword", "en", "reset-forgotten-password", True),  # a typo
        ("доставка", "ru", "sroki-i-stoimost-dostavki", True),
        ("достав", "ru", "sroki-i-stoimost-dostavki", False),
    ],
)
async def test_suggestions_find_what_search_finds_while_the_customer_types(shipped, typed, locale, article, finished):
    assert (await suggested(shipped, typed, locale=locale))[:1] == [article]
    if finished:  # the same engine: search ranks the same article first
        searched = (await shipped.get("/api/kb/search", params={"q": typed, "locale": locale})).json()["results"]
        assert searched[0]["slug"] == article


async def test_a_russian_query_in_the_english_interface_finds_the_russian_article(shipped):
    page = await shipped.get("/kb/search", params={"q": "доставка"}, headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "Nothing found" not in page.text
    assert 'lang="ru" hreflang="ru">Сроки и стоимость доставки</a>' in page.text
    # The Russian hit links its English translation.
    assert 'In your language: <a href="/kb/delivery-times-and-costs">' in page.text
    api = await shipped.get("/api/kb/suggest", params={"q": "доставка", "locale": "en"})
    first = api.json()["suggestions"][0]
    assert (first["slug"], first["locale"]) == ("sroki-i-stoimost-dostavki", "ru")


async def test_an_english_interface_still_prefers_english_articles_for_english_words(shipped):
    found = (await shipped.get("/api/kb/search", params={"q": "delivery times", "locale": "en"})).json()
    assert {hit["locale"] for hit in found["results"]} == {"en"}


async def test_nonsense_finds_nothing_and_offers_contact_support(shipped):
    page = await shipped.get("/kb/search", params={"q": "xyzzy quantum banana"}, headers={"accept-language": "en"})
    assert "Nothing found" in page.text
    assert 'href="/tickets/new?q=xyzzy+quantum+banana"' in page.text
    assert (await shipped.get("/api/kb/search", params={"q": "xyzzy quantum banana"})).json()["total"] == 0
    assert await suggested(shipped, "xyzzy quantum banana") == []
    # A known word beside an unknown one still finds its articles.
    assert (await shipped.get("/api/kb/search", params={"q": "xyzzy refund"})).json()["results"][0]["slug"] == (
        "refund-timelines"
    )


async def test_a_query_with_markup_characters_is_shown_as_text_and_carried_whole_in_links(shipped):
    typed = 'refund <b>"now"</b> & Ünïcode ёж'
    page = await shipped.get("/kb/search", params={"q": typed}, headers={"accept-language": "en"})
    assert page.status_code == 200 and "<b>" not in page.text
    assert 'value="refund &lt;b&gt;&#34;now&#34;&lt;/b&gt; &amp; Ünïcode ёж"' in page.text
    assert "<title>Search: refund &lt;b&gt;&#34;now&#34;&lt;/b&gt; &amp; Ünïcode ёж · " in page.text
    quoted = "refund+%3Cb%3E%22now%22%3C%2Fb%3E+%26+%C3%9Cn%C3%AFcode+%D1%91%D0%B6"
    assert f'href="/tickets/new?q={quoted}"' in page.text
    # Result links carry the search's log token and the query, each quoted.
    assert re.search(rf'href="/kb/refund-timelines\?searched=[0-9a-f-]+&amp;q={re.escape(quoted)}"', page.text)


async def test_switching_language_on_an_article_opens_its_translation(shipped):
    page = await shipped.get("/kb/delivery-times-and-costs")
    assert page.status_code == 200
    switched = await post_form(shipped, "/language", {"lang": "ru", "next": "/kb/delivery-times-and-costs?q=x"})
    assert switched.status_code in (302, 303)
    assert switched.headers["location"] == "/kb/sroki-i-stoimost-dostavki"
    back = await post_form(shipped, "/language", {"lang": "en", "next": "/kb/sroki-i-stoimost-dostavki"})
    assert back.headers["location"] == "/kb/delivery-times-and-costs"
    # Pages that are not articles stay where they were.
    elsewhere = await post_form(shipped, "/language", {"lang": "ru", "next": "/kb/search?q=refund"})
    assert elsewhere.headers["location"] == "/kb/search?q=refund"


async def test_an_article_read_in_another_language_links_the_translation_instead_of_denying_it(shipped):
    ru = await shipped.get("/kb/delivery-times-and-costs", headers={"accept-language": "ru"})
    assert "не переведена" not in ru.text
    assert 'Эта статья есть и на вашем языке: <a href="/kb/sroki-i-stoimost-dostavki"' in ru.text


async def test_suggestion_boxes_follow_the_combobox_pattern(shipped, client):
    for url in ("/kb", "/kb/search?q=refund"):
        page = await shipped.get(url)
        assert 'role="combobox" aria-expanded="false" aria-autocomplete="list" aria-controls="kb-suggestions"' in (
            page.text
        )
        assert 'role="listbox" aria-label="Suggested articles"' in page.text
