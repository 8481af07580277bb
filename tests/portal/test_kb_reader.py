"""The knowledge base as readers meet it: pages, search, suggestions, the API, votes, the search log."""

import re

import pytest

from auth.tables import Role
from kb import articles
from kb.tables import Article, Feedback, SearchLog, Status
from portal.knowledge import editing
from tests.helpers import create_user, post_form, sign_in


async def publish(
    client, title, body, *, locale="en", category="", tags=(), status=Status.PUBLISHED, slug="", translation_key=""
):
    sync = client.app.state.kb
    if category:
        await articles.ensure_category(category, category.title(), category.upper())
    draft = articles.Draft(
        title=title,
        body=body,
        locale=locale,
        category=category,
        tags=tuple(tags),
        slug=slug,
        translation_key=translation_key,
    )
    article = await editing.create_article(sync, draft, author_id=None)
    if status != Status.DRAFT:
        article = await editing.change_status(sync, article.id, status, author_id=None)
    return article


async def test_published_articles_are_listed_searched_and_read(client):
    await publish(
        client,
        "Reset a forgotten password",
        "## Steps\n\nOpen **Sign in** and choose *Forgot password*.",
        category="account",
        tags=["password"],
    )
    front = await client.get("/kb")
    assert front.status_code == 200 and "Reset a forgotten password" in front.text and "Account" in front.text
    found = await client.get("/kb/search", params={"q": "forgotten password"})
    assert "Reset a forgotten password" in found.text and "<mark>" in found.text
    page = await client.get("/kb/reset-a-forgotten-password")
    assert page.status_code == 200
    assert "<strong>Sign in</strong>" in page.text and 'aria-current="page">Reset a forgotten password' in page.text
    assert await client.app.state.activity.flush() == (1, 1)  # one view, one search
    assert (await Article.objects().first()).views == 1


async def test_drafts_and_archived_articles_never_reach_readers(client):
    await publish(client, "Secret roadmap draft", "The unreleased gizmo ships in May.", status=Status.DRAFT)
    await publish(client, "Old archived promo", "The gizmo promo is over.", status=Status.ARCHIVED)
    for url in ["/kb/secret-roadmap-draft", "/kb/old-archived-promo", "/api/kb/articles/secret-roadmap-draft"]:
        assert (await client.get(url)).status_code == 404, url
    results = (await client.get("/kb/search", params={"q": "gizmo"})).text
    assert "Nothing found" in results and "Secret roadmap" not in results and "archived promo" not in results
    assert (await client.get("/api/kb/search", params={"q": "gizmo"})).json()["total"] == 0
    assert (await client.get("/api/kb/suggest", params={"q": "secret road"})).json()["suggestions"] == []
    assert "Secret roadmap" not in (await client.get("/kb")).text


async def test_search_api_shape_typos_and_word_forms(client):
    await publish(
        client,
        "Статусы обращений",
        "Статус обращения показывает этап. Обращение закрывается.",
        locale="ru",
        category="support",
    )
    await publish(client, "Refund timelines", "Refunds reach your card within ten days.", category="billing")
    ru = (await client.get("/api/kb/search", params={"q": "обращение", "locale": "ru"})).json()
    assert ru["total"] == 1 and ru["results"][0]["slug"] == "statusy-obrashcheniy"
    assert set(ru["results"][0]) == {"slug", "title", "snippet", "category", "locale", "score"}
    typo = (await client.get("/api/kb/search", params={"q": "refnd", "locale": "en"})).json()
    assert typo["results"][0]["slug"] == "refund-timelines" or typo["did_you_mean"] == "refund"
    by_category = (await client.get("/api/kb/search", params={"q": "refunds", "category": "account"})).json()
    assert by_category["total"] == 0
    article = (await client.get("/api/kb/articles/refund-timelines")).json()
    assert article["title"] == "Refund timelines" and article["category"] == "billing"
    assert "<p>Refunds reach your card within ten days.</p>" in article["html"]


async def test_a_huge_or_nested_query_is_a_clear_400(client):
    for q in ["word " * 3200, "(" * 5000 + "a" + ")" * 5000]:
        page = await client.get("/kb/search", params={"q": q})
        assert page.status_code == 400 and "too long" in page.text
        api = await client.get("/api/kb/search", params={"q": q})
        assert api.status_code == 400 and api.json()["status"] == 400


async def test_query_syntax_cannot_reach_hidden_articles(client):
    await publish(client, "Internal draft about refunds", "Refund policy draft.", status=Status.DRAFT)
    for q in ["public:false refund", "status:draft", "refund*", "refund?", "title:internal"]:
        assert (await client.get("/api/kb/search", params={"q": q})).json()["total"] == 0, q


async def test_searches_and_clicks_are_logged(client):
    await publish(client, "Track your order", "Follow the parcel with the tracking link.")
    page = await client.get("/kb/search", params={"q": "tracking parcel"})
    await client.get("/kb/search", params={"q": "nothing like this xyzzy"})
    assert await SearchLog.count() == 0  # written in batches, off the reader's request
    await client.app.state.activity.flush()
    logs = await SearchLog.select().order_by(SearchLog.id)
    assert [(row["query"], row["results"]) for row in logs] == [("tracking parcel", 1), ("nothing like this xyzzy", 0)]
    link = page.text.split('href="/kb/track-your-order?')[1].split('"')[0].replace("&amp;", "&")
    await client.get(f"/kb/track-your-order?{link}")
    await client.app.state.activity.flush()
    first = await SearchLog.objects().order_by(SearchLog.id).first()
    assert first.clicked is not None


async def test_nothing_found_offers_to_contact_support(client):
    page = await client.get("/kb/search", params={"q": "quantum teleporter warranty"})
    assert "Nothing found" in page.text and "/tickets/new?q=quantum+teleporter+warranty" in page.text


async def test_readers_vote_and_say_what_was_missing(client):
    article = await publish(client, "Pair your headphones", "Hold the button for five seconds.")
    response = await post_form(
        client, "/kb/pair-your-headphones/feedback", {"helpful": "no", "comment": "Which button?"}
    )
    assert response.status_code == 302
    assert "We will use your answer" in (await client.get(response.headers["location"])).text
    await post_form(client, "/kb/pair-your-headphones/feedback", {"helpful": "yes"})
    article = await Article.objects().where(Article.id == article.id).first()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)
    assert (await Feedback.objects().where(Feedback.helpful == False).first()).comment == "Which button?"  # noqa: E712


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "| a |\n|---|\n| <svg onload=alert(1)> |",
    ],
)
async def test_markdown_never_passes_raw_html(client, payload):
    await publish(client, "Payload article", f"Before.\n\n{payload}\n\nAfter.")
    page = (await client.get("/kb/payload-article")).text
    body = page.split('class="article-body">')[1].split("</div>")[0]
    # Shown as text is fine; what must never appear is a live tag, handler or script URL.
    assert not re.search(r"<(script|img|svg)\b", body, re.I)
    assert not re.search(r"<[^>]+\son\w+\s*=", body, re.I)
    assert not re.search(r"(href|src)\s*=\s*\"?\s*javascript:", body, re.I)


async def test_russian_readers_get_english_articles_without_translation_marked(client):
    await publish(client, "Only in English", "English text.", translation_key="only-en", category="support")
    await publish(client, "Both languages", "English.", translation_key="both", category="support")
    await publish(client, "На обоих языках", "Русский текст.", locale="ru", translation_key="both", category="support")
    page = await client.get("/kb/category/support", headers={"accept-language": "ru"})
    assert "Only in English" in page.text and "на английском" in page.text
    assert "На обоих языках" in page.text and "Both languages" not in page.text
    english = await client.get("/kb/both-languages")
    assert 'hreflang="ru"' in english.text


async def test_the_knowledge_base_can_require_sign_in(tmp_path, database_url):
    from portal.web.app import create_app
    from tests.conftest import browser, make_settings

    settings = make_settings(tmp_path, database_url, PORTAL_KB_PUBLIC="false")
    async with browser(create_app(settings)) as private:
        assert (await private.get("/kb")).status_code == 302
        assert (await private.get("/api/kb/search", params={"q": "x"})).status_code == 401
        await create_user(settings, "ann@example.com", Role.CUSTOMER)
        await sign_in(private, "ann@example.com")
        assert (await private.get("/kb")).status_code == 200


async def test_search_links_a_translation_published_after_the_first_search(client):
    await publish(client, "Замятие бумаги", "Откройте лоток принтера.", locale="ru", translation_key="jam")
    english = {"accept-language": "en"}
    first = await client.get("/kb/search", params={"q": "лоток принтера"}, headers=english)
    assert "Замятие бумаги" in first.text and "In your language:" not in first.text
    draft = await publish(client, "Clearing a paper jam", "Open the tray.", translation_key="jam", status=Status.DRAFT)
    drafted = await client.get("/kb/search", params={"q": "лоток принтера", "page": "1"}, headers=english)
    assert "In your language:" not in drafted.text  # a draft is no translation yet
    await editing.change_status(client.app.state.kb, draft.id, Status.PUBLISHED, author_id=None)
    again = await client.get("/kb/search", params={"q": "лоток принтера"}, headers=english)
    assert f'In your language: <a href="/kb/{draft.slug}">Clearing a paper jam</a>' in again.text
