"""Staff write, preview, review, publish, archive and restore knowledge-base articles, and keep its categories."""

import re

import httpx
from litestar.handlers import HTTPRouteHandler

from auth.tables import Role
from kb.articles import MAX_TITLE
from kb.tables import Article, Category, Revision
from tests.helpers import create_user, post_form, sign_in

BODY = "# Resetting the router\n\nHold the **reset** button for ten seconds.\n\nThe lights blink amber twice."
XSS = "<script>alert(1)</script>"


def _staff_routes(app):
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and route.path.startswith("/staff/"):
                for method in handler.http_methods - {"OPTIONS"}:
                    yield method, re.sub(r"\{[^}]+:int\}", "1", route.path)


def _form(**changes: str) -> dict[str, str]:
    return {
        "title": "Resetting the zephyrine router",
        "slug": "",
        "locale": "en",
        "category": "",
        "tags": "router, Reset",
        "summary": "When the router hangs.",
        "body": BODY,
        "translation_key": "",
        "action": "save",
        **changes,
    }


async def _as_agent(client, settings) -> None:
    await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent")
    await sign_in(client, "agent@example.com")


async def _create(client, **changes: str) -> Article:
    response = await post_form(client, "/staff/kb/new", _form(**changes))
    assert response.status_code == 302, response.text
    article_id = int(re.match(r"/staff/kb/(\d+)\?", response.headers["location"]).group(1))
    return await Article.objects().where(Article.id == article_id).first()


async def _status(client, article: Article, target: str):
    return await post_form(client, f"/staff/kb/{article.id}/status", {"target": target})


async def _anonymous(client, url: str) -> httpx.Response:
    saved = httpx.Cookies(client.cookies)
    client.cookies.clear()
    try:
        return await client.get(url)
    finally:
        client.cookies = saved


async def _public(client, slug: str) -> tuple[int, bool, bool]:
    """What a reader who is not signed in finds: the page's status, and whether search and suggest list it."""
    page = await _anonymous(client, f"/kb/{slug}")
    found = await _anonymous(client, "/api/kb/search?q=zephyrine")
    suggested = await _anonymous(client, "/api/kb/suggest?q=zephyr")
    return (
        page.status_code,
        any(hit["slug"] == slug for hit in found.json()["results"]),
        any(s["slug"] == slug for s in suggested.json()["suggestions"]),
    )


async def _revisions(article: Article) -> int:
    return await Revision.count().where(Revision.article == article.id)


async def test_staff_routes_are_closed_to_customers_and_anonymous_visitors(client, settings):
    routes = list(_staff_routes(client.app))
    assert len(routes) >= 10
    for method, url in routes:
        response = await (client.get(url) if method == "GET" else post_form(client, url, {}))
        assert response.status_code == 302 and response.headers["location"].startswith("/login?next="), url
    await create_user(settings, "ann@example.com", Role.CUSTOMER)
    await sign_in(client, "ann@example.com")
    for method, url in routes:
        response = await (client.get(url) if method == "GET" else post_form(client, url, {}))
        assert response.status_code == 404, f"{method} {url}"
    assert "/staff/kb" not in (await client.get("/profile")).text


async def test_an_agent_takes_an_article_from_draft_to_published_and_archived(client, settings):
    await _as_agent(client, settings)
    assert 'href="/staff/kb"' in (await client.get("/profile")).text
    article = await _create(client)
    assert (article.status, article.slug, article.tags) == ("draft", "resetting-the-zephyrine-router", "router,reset")
    assert await _public(client, article.slug) == (404, False, False)
    assert "Resetting the zephyrine router" in (await client.get("/staff/kb")).text

    preview = await post_form(
        client, f"/staff/kb/{article.id}", _form(body=BODY + "\n\nThen wait **a minute**.", action="preview")
    )
    assert preview.status_code == 200 and "<strong>a minute</strong>" in preview.text
    assert await _revisions(article) == 1
    assert "a minute" not in (await Article.objects().get(Article.id == article.id)).body

    saved = await post_form(client, f"/staff/kb/{article.id}", _form(body=BODY + "\r\n\r\nThen wait a minute."))
    assert saved.status_code == 302
    assert await _revisions(article) == 2
    assert (await Article.objects().get(Article.id == article.id)).body.endswith("twice.\n\nThen wait a minute.")

    assert (await _status(client, article, "review")).status_code == 302
    assert await _public(client, article.slug) == (404, False, False)
    assert (await _status(client, article, "published")).status_code == 302
    assert await _public(client, article.slug) == (200, True, True)
    edit = await client.get(f"/staff/kb/{article.id}")
    assert f'href="/kb/{article.slug}"' in edit.text

    assert (await _status(client, article, "archived")).status_code == 302
    assert await _public(client, article.slug) == (404, False, False)
    refused = await _status(client, article, "review")
    assert refused.status_code == 400 and "cannot move to this status" in refused.text
    nonsense = await _status(client, article, "deleted")
    assert nonsense.status_code == 400
    assert (await Article.objects().get(Article.id == article.id)).status == "archived"


async def test_mistakes_are_shown_on_the_form_and_nothing_is_written(client, settings):
    await _as_agent(client, settings)
    for changes, message in [
        ({"title": "  "}, "Enter the article&#39;s title"),
        ({"body": " "}, "Write the article&#39;s text"),
        ({"title": "x" * (MAX_TITLE + 1)}, "The title is too long"),
        ({"locale": "de"}, "Choose English or Russian"),
        ({"category": "no-such-category"}, "Choose a category from the list"),
    ]:
        response = await post_form(client, "/staff/kb/new", _form(**changes))
        assert response.status_code == 400 and message in response.text, changes
    assert await Article.count() == 0 and await Revision.count() == 0

    article = await _create(client)
    taken = await post_form(client, "/staff/kb/new", _form(title="Another title", slug=article.slug))
    assert taken.status_code == 400 and "already has this address" in taken.text
    emptied = await post_form(client, f"/staff/kb/{article.id}", _form(body="", title="Changed title"))
    assert emptied.status_code == 400 and 'value="Changed title"' in emptied.text
    unchanged = await Article.objects().get(Article.id == article.id)
    assert (unchanged.title, unchanged.body) == ("Resetting the zephyrine router", BODY)
    assert await _revisions(article) == 1
    assert (await client.get("/staff/kb/999")).status_code == 404


async def test_revisions_show_what_changed_and_an_old_one_can_be_restored(client, settings):
    await _as_agent(client, settings)
    article = await _create(client)
    await post_form(client, f"/staff/kb/{article.id}", _form(body=BODY.replace("ten seconds", "thirty seconds")))

    listing = await client.get(f"/staff/kb/{article.id}/revisions")
    assert listing.status_code == 200 and "Alex Agent" in listing.text
    diff = await client.get(f"/staff/kb/{article.id}/revisions/2")
    assert diff.status_code == 200
    assert "Hold the **reset** button for ten seconds." in diff.text
    assert "Hold the **reset** button for thirty seconds." in diff.text
    assert (await client.get(f"/staff/kb/{article.id}/revisions/9")).status_code == 404

    restored = await post_form(client, f"/staff/kb/{article.id}/revisions/1/restore", {})
    assert restored.status_code == 302
    assert (await Article.objects().get(Article.id == article.id)).body == BODY
    assert await _revisions(article) == 3
    missing = await post_form(client, f"/staff/kb/{article.id}/revisions/9/restore", {})
    assert missing.status_code == 400 and await _revisions(article) == 3


async def test_user_text_is_escaped_on_every_staff_page(client, settings):
    await _as_agent(client, settings)
    article = await _create(client, title=f"Router {XSS}", body=f"{BODY}\n\n{XSS}")
    await post_form(client, f"/staff/kb/{article.id}", _form(title=f"Router {XSS}", body=f"{XSS}\n\nShort now."))
    preview = await post_form(client, f"/staff/kb/{article.id}", _form(title=f"New {XSS}", body=XSS, action="preview"))
    pages = [
        await client.get("/staff/kb"),
        await client.get(f"/staff/kb/{article.id}"),
        preview,
        await client.get(f"/staff/kb/{article.id}/revisions"),
        await client.get(f"/staff/kb/{article.id}/revisions/2"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert XSS not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, page.url


async def test_staff_see_views_votes_and_what_readers_missed(client, settings):
    await _as_agent(client, settings)
    article = await _create(client)
    await _status(client, article, "published")
    await client.get(f"/kb/{article.slug}")
    await post_form(client, f"/kb/{article.slug}/feedback", {"helpful": "no", "comment": "Which button? No photo."})
    await post_form(client, f"/kb/{article.slug}/feedback", {"helpful": "yes", "comment": ""})
    page = await client.get(f"/staff/kb/{article.id}")
    assert "Which button? No photo." in page.text and "1 yes / 1 no (50%)" in page.text
    listing = await client.get("/staff/kb")
    assert "1 yes / 1 no (50%)" in listing.text


async def test_the_list_filters_by_status_language_category_and_title(client, settings):
    await _as_agent(client, settings)
    await post_form(client, "/staff/kb/categories", {"slug": "billing", "name_en": "Billing", "name_ru": "Оплата"})
    invoice = await _create(client, title="Downloading an invoice", category="billing")
    await _create(client, title="Сброс пароля", locale="ru")
    await _status(client, invoice, "published")

    def titles(page) -> set[str]:
        return {t for t in ("Downloading an invoice", "Сброс пароля") if t in page.text}

    assert titles(await client.get("/staff/kb")) == {"Downloading an invoice", "Сброс пароля"}
    assert titles(await client.get("/staff/kb?status=published")) == {"Downloading an invoice"}
    assert titles(await client.get("/staff/kb?locale=ru")) == {"Сброс пароля"}
    assert titles(await client.get("/staff/kb?category=billing")) == {"Downloading an invoice"}
    assert titles(await client.get("/staff/kb?q=INVOICE")) == {"Downloading an invoice"}
    assert titles(await client.get("/staff/kb?status=nonsense")) == {"Downloading an invoice", "Сброс пароля"}


async def test_categories_are_added_and_renamed_with_clear_errors(client, settings):
    await _as_agent(client, settings)
    added = await post_form(client, "/staff/kb/categories", {"slug": "Billing", "name_en": "Billing", "name_ru": ""})
    assert added.status_code == 302
    billing = await Category.objects().get(Category.slug == "billing")
    assert (billing.name_en, billing.name_ru) == ("Billing", "Billing")

    for form, message in [
        ({"slug": "billing", "name_en": "Payments"}, "A category with this slug already exists"),
        ({"slug": "payments", "name_en": "billing"}, "A category with this English name already exists"),
        ({"slug": " ", "name_en": "Payments"}, "Enter the category&#39;s slug"),
        ({"slug": "payments", "name_en": " "}, "Enter the category&#39;s English name"),
    ]:
        response = await post_form(client, "/staff/kb/categories", form)
        assert response.status_code == 400 and message in response.text, form
    assert await Category.count() == 1

    renamed = await post_form(
        client, f"/staff/kb/categories/{billing.id}", {"name_en": "Billing and invoices", "name_ru": "Оплата и счета"}
    )
    assert renamed.status_code == 302
    page = await client.get("/staff/kb/categories")
    assert "Billing and invoices" in page.text and "Оплата и счета" in page.text
    emptied = await post_form(client, f"/staff/kb/categories/{billing.id}", {"name_en": "", "name_ru": "x"})
    assert emptied.status_code == 400 and "English name" in emptied.text
    assert (await Category.objects().get(Category.id == billing.id)).name_en == "Billing and invoices"
    assert (await post_form(client, "/staff/kb/categories/999", {"name_en": "X"})).status_code == 404
