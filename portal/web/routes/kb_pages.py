"""The knowledge base for readers: front page, search, categories, articles and their feedback."""

from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from auth import ratelimit
from auth.tables import User
from kb import articles
from kb.activity import ReaderActivity
from kb.indexing import IndexSync
from kb.search import QueryTooLong
from portal import i18n
from portal.accounts.flows import Client
from portal.knowledge import reading, searching
from portal.tickets import deflection
from portal.web.guards import READER
from portal.web.page_cache import CACHED_PAGE, not_kept, per_serving

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
# Pages every anonymous reader sees alike: served from the page cache (portal/web/page_cache.py).
CACHED_READER = {**READER, **CACHED_PAGE}
VOTES_PER_ADDRESS = ratelimit.Rule("kb-vote", 30, 60 * 60)
SOLVED_PER_ADDRESS = ratelimit.Rule("kb-solved", 30, 60 * 60)


class FeedbackForm(msgspec.Struct):
    helpful: str = ""
    comment: str = ""


class SolvedForm(msgspec.Struct):
    form_key: str = ""
    q: str = ""


@get("/kb", opt=CACHED_READER)
async def front_page(kb: NamedDependency[IndexSync]) -> Template:
    return Template(template_name="kb/index.html", context=await reading.front_page(kb, i18n.current_locale()))


@get("/kb/search", opt=CACHED_READER)
async def search_page(
    request: Request,
    kb: NamedDependency[IndexSync],
    activity: NamedDependency[ReaderActivity],
    viewer: NamedDependency[User | None],
    q: FromQuery[str] = "",
    category: FromQuery[str] = "",
    page: FromQuery[int] = 1,
) -> Template:
    locale = i18n.current_locale()
    context = {"q": q, "category": category, "categories": await reading.categories(kb, locale)}
    if not q.strip():
        return Template(template_name="kb/search.html", context={**context, "result": None})
    page = max(page, 1)
    try:
        result = await searching.find(kb, q, locale, category=category, page=page)
    except QueryTooLong:
        return Template(
            template_name="kb/search.html",
            status_code=400,
            context={**context, "result": None, "error": "query_too_long"},
        )
    # Hits in another language than the reader's link to their translation when there is one.
    other = [hit.id for hit in result.results if hit.locale != locale]
    translations = await searching.translations_into(kb, other, locale) if other else {}
    total, user_id = result.total, viewer.id if viewer else None
    # Every serving of the page is a search, and its result links carry that search's own log token.
    token = (
        per_serving(request, lambda: activity.search(q, locale, total, category=category, user_id=user_id))
        if page == 1
        else ""
    )
    elsewhere_only = len(other) == len(result.results) > 0
    context = {
        **context,
        "result": result,
        "token": token,
        "translations": translations,
        "elsewhere_only": elsewhere_only,
    }
    return Template(template_name="kb/search.html", context=context)


@get("/kb/category/{slug:str}", opt=CACHED_READER)
async def category_page(slug: FromPath[str], kb: NamedDependency[IndexSync]) -> Template:
    category, rows = await reading.category_page(kb, slug, i18n.current_locale())
    return Template(template_name="kb/category.html", context={"category": category, "articles": rows})


@get("/kb/{slug:str}", opt=CACHED_READER)
async def article_page(
    request: Request,
    slug: FromPath[str],
    kb: NamedDependency[IndexSync],
    activity: NamedDependency[ReaderActivity],
    searched: FromQuery[str] = "",
    q: FromQuery[str] = "",
    voted: FromQuery[str] = "",
    deflect: FromQuery[str] = "",
) -> Template:
    view = await reading.article_page(kb, slug)
    article_id = view.article.id
    per_serving(request, lambda: activity.view(article_id))
    if searched:
        activity.click(searched, article_id)
    if searched or deflect:
        not_kept(request)  # links made for one reader: from their search results, from their ticket form
    context = {"view": view, "q": q, "voted": voted, "deflect": deflect if deflection.FORM_KEY.match(deflect) else ""}
    return Template(template_name="kb/article.html", context=context)


@post("/kb/{slug:str}/feedback", opt=READER)
async def feedback(
    slug: FromPath[str],
    data: Annotated[FeedbackForm, FORM],
    client: NamedDependency[Client],
    viewer: NamedDependency[User | None],
) -> Response:
    article = await articles.by_slug(slug)
    if data.helpful not in ("yes", "no"):
        return Redirect(path=f"/kb/{slug}")
    await ratelimit.hit(VOTES_PER_ADDRESS, client.ip)
    await reading.vote(article.id, data.helpful == "yes", data.comment, viewer.id if viewer else None)
    return Redirect(path=f"/kb/{slug}?voted={data.helpful}#feedback")


@post("/kb/{slug:str}/solved", opt=READER)
async def solved(
    slug: FromPath[str],
    data: Annotated[SolvedForm, FORM],
    client: NamedDependency[Client],
    viewer: NamedDependency[User | None],
) -> Template:
    """ "This solved my problem", from an article suggested while filing a ticket: no ticket is made."""
    await ratelimit.hit(SOLVED_PER_ADDRESS, client.ip)
    await deflection.record(slug, viewer.id if viewer else None, data.q, data.form_key)
    return Template(template_name="kb/solved.html", context={"article": await articles.by_slug(slug)})


ROUTES = [front_page, search_page, category_page, article_page, feedback, solved]
