"""Reader pages served again to anonymous readers: always current, never someone else's, still counted."""

import contextlib
import re

import httpx

from auth.tables import Role
from kb import articles
from kb.tables import Article, SearchLog, Status
from portal.knowledge import categories, editing
from portal.web.app import create_app
from tests.conftest import browser
from tests.helpers import create_user, sign_in
from tests.portal.test_kb_reader import publish


def form_token(page: str) -> str:
    tokens = set(re.findall(r'name="_csrf_token" value="([^"]+)"', page))
    assert len(tokens) == 1, tokens
    return tokens.pop()


def search_tokens(page: str) -> set[str]:
    return set(re.findall(r"searched=([0-9a-f]+)", page))


@contextlib.contextmanager
def another_browser(client):
    """The same app seen from a browser without the client's cookies (its own jar, kept apart)."""
    own = client.cookies
    client.cookies = httpx.Cookies()
    try:
        yield client
    finally:
        client.cookies = own


def page_cache(app):
    from portal.web.page_cache import PageCacheMiddleware

    return next(m for m in app.middleware if isinstance(m, PageCacheMiddleware)).cache


async def test_a_page_is_kept_from_its_second_request_and_served_from_its_third(client):
    await publish(client, "Pair your headphones", "Hold the button for five seconds.")
    kept = page_cache(client.app)._pages
    once = (await client.get("/kb/search", params={"q": "headphones once"})).text
    assert "Pair your headphones" in once and not kept  # a search asked once is not kept
    pages = [(await client.get("/kb/search", params={"q": "headphones"})).text for _ in range(3)]
    assert len(kept) == 1
    # The copy served the third time is the page rendered the second, with this serving's search token.
    assert pages[2].replace(search_tokens(pages[2]).pop(), "") == pages[1].replace(search_tokens(pages[1]).pop(), "")
    assert len(set.union(*map(search_tokens, pages))) == 3
    many = page_cache(client.app)
    many.asked_kept = 2
    for n in range(3):
        await client.get("/kb/search", params={"q": f"headphones {n}"})
    assert len(many._asked) == 2  # the oldest asked once is forgotten


async def test_an_edit_is_shown_at_once(client):
    article = await publish(client, "Pair your headphones", "Hold the button for five seconds.")
    for _ in range(3):
        assert "Hold the button for five seconds" in (await client.get("/kb/pair-your-headphones")).text
    draft = articles.Draft(title="Pair your headphones", body="Hold both buttons for ten seconds.")
    await editing.update_article(client.app.state.kb, article.id, draft, author_id=None)
    page = (await client.get("/kb/pair-your-headphones")).text
    assert "Hold both buttons for ten seconds" in page and "five seconds" not in page


async def test_a_published_article_is_found_at_once(client):
    for _ in range(3):
        assert "Nothing found" in (await client.get("/kb/search", params={"q": "warranty claim"})).text
    await publish(client, "Make a warranty claim", "Send the receipt to claims.")
    assert "Make a warranty claim" in (await client.get("/kb/search", params={"q": "warranty claim"})).text


async def test_an_unpublished_article_disappears_at_once(client):
    article = await publish(client, "Beta programme", "Join the beta programme from settings.")
    for _ in range(3):
        assert (await client.get("/kb/beta-programme")).status_code == 200
        assert "Beta programme" in (await client.get("/kb/search", params={"q": "beta"})).text
        assert "Beta programme" in (await client.get("/kb")).text
    await editing.change_status(client.app.state.kb, article.id, Status.DRAFT, author_id=None)
    assert (await client.get("/kb/beta-programme")).status_code == 404
    assert "Beta programme" not in (await client.get("/kb/search", params={"q": "beta"})).text
    assert "Beta programme" not in (await client.get("/kb")).text


async def test_a_renamed_category_is_shown_after_the_change_log_is_applied(client):
    await publish(client, "Refund timelines", "Refunds take five days.", category="billing")
    assert "Billing" in (await client.get("/kb")).text
    category = await articles.ensure_category("billing")
    await categories.save_category("", "Payments", "Платежи", category_id=category.id)
    await client.app.state.kb.apply_pending()  # what each process's background pass does
    page = (await client.get("/kb")).text
    assert "Payments" in page and "Billing" not in page


async def test_a_signed_in_reader_never_gets_the_anonymous_page(client, settings):
    await publish(client, "Pair your headphones", "Hold the button for five seconds.")
    for _ in range(3):
        assert "Sign out" not in (await client.get("/kb/pair-your-headphones")).text
    await create_user(settings, "ann@example.com", Role.CUSTOMER)
    await sign_in(client, "ann@example.com")
    assert "Sign out" in (await client.get("/kb/pair-your-headphones")).text
    with another_browser(client) as stranger:
        assert "Sign out" not in (await stranger.get("/kb/pair-your-headphones")).text


async def test_readers_get_their_own_language(client):
    await publish(client, "Pair your headphones", "Hold the button for five seconds.")
    for _ in range(2):  # each kept from its second request
        english = (await client.get("/kb/pair-your-headphones")).text
        russian = (await client.get("/kb/pair-your-headphones", headers={"accept-language": "ru"})).text
    assert "Was this helpful?" in english and "Статья помогла?" in russian
    with another_browser(client) as chooser:
        chooser.cookies.set("lang", "ru")
        assert "Статья помогла?" in (await chooser.get("/kb/pair-your-headphones")).text
    assert "Was this helpful?" in (await client.get("/kb/pair-your-headphones")).text


async def test_every_served_copy_has_its_browsers_csrf_token_and_the_check_still_holds(client):
    article = await publish(client, "Pair your headphones", "Hold the button for five seconds.")
    first = (await client.get("/kb/pair-your-headphones")).text
    first_cookie = client.cookies["csrftoken"]
    assert form_token(first) == first_cookie
    with another_browser(client) as other:
        page = (await other.get("/kb/pair-your-headphones")).text
        token = form_token(page)
        assert token == other.cookies["csrftoken"] != first_cookie
        assert form_token((await other.get("/kb/pair-your-headphones")).text) == token
        # The first browser's token is worthless with the second browser's cookie, and no token is too.
        forged = await other.post(
            "/kb/pair-your-headphones/feedback", data={"helpful": "yes", "_csrf_token": form_token(first)}
        )
        assert forged.status_code == 403
        assert (await other.post("/kb/pair-your-headphones/feedback", data={"helpful": "yes"})).status_code == 403
        voted = await other.post("/kb/pair-your-headphones/feedback", data={"helpful": "yes", "_csrf_token": token})
        assert voted.status_code == 302
    assert (await Article.objects().where(Article.id == article.id).first()).helpful_yes == 1


async def test_every_served_copy_counts_a_view_and_logs_its_own_search(client):
    article = await publish(client, "Track your order", "Follow the parcel with the tracking link.")
    pages = []
    for _ in range(3):
        await client.get("/kb/track-your-order")
        with another_browser(client) as reader:
            pages.append((await reader.get("/kb/search", params={"q": "tracking parcel"})).text)
    tokens = [search_tokens(page) for page in pages]
    assert all(len(found) == 1 for found in tokens) and len(set.union(*tokens)) == 3
    assert await client.app.state.activity.flush() == (3, 3)
    logged = await SearchLog.select(SearchLog.token, SearchLog.query).order_by(SearchLog.id)
    assert {row["token"] for row in logged} == set.union(*tokens)
    assert {row["query"] for row in logged} == {"tracking parcel"}
    # A click from the last page is tied to the last search, not to the one that was rendered.
    link = pages[-1].split('href="/kb/track-your-order?')[1].split('"')[0].replace("&amp;", "&")
    await client.get(f"/kb/track-your-order?{link}")
    await client.app.state.activity.flush()
    clicked = await SearchLog.select(SearchLog.token).where(SearchLog.clicked == article.id)
    assert [row["token"] for row in clicked] == list(tokens[-1])
    assert (await Article.objects().where(Article.id == article.id).first()).views == 4


async def test_nothing_is_kept_while_the_knowledge_base_needs_sign_in(tmp_path, database_url):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, database_url, PORTAL_KB_PUBLIC="false")
    async with browser(create_app(settings)) as private:
        await create_user(settings, "ann@example.com", Role.CUSTOMER)
        await sign_in(private, "ann@example.com")
        await publish(private, "Pair your headphones", "Hold the button for five seconds.")
        assert (await private.get("/kb/pair-your-headphones")).status_code == 200
        async with browser(private.app) as anonymous:
            assert (await anonymous.get("/kb/pair-your-headphones")).status_code == 302
