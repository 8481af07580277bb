"""The knowledge base as JSON: search, suggestions as you type, and articles; the same rules as pages."""

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from auth.tables import User
from kb import articles
from kb.activity import ReaderActivity
from kb.indexing import IndexSync
from kb.markdown import render
from kb.search import QueryTooLong
from portal import i18n
from portal.knowledge import searching
from portal.web.guards import NO_FORM, READER


def _locale(locale: str) -> str:
    return locale if locale in i18n.LOCALES else i18n.current_locale()


def _bad_query() -> Response:
    return Response({"status": 400, "detail": "the query is too long"}, status_code=400)


@get("/api/kb/search", opt={**READER, **NO_FORM})
async def search(
    kb: NamedDependency[IndexSync],
    activity: NamedDependency[ReaderActivity],
    viewer: NamedDependency[User | None],
    q: FromQuery[str] = "",
    locale: FromQuery[str] = "",
    category: FromQuery[str] = "",
    limit: FromQuery[int] = 10,
    page: FromQuery[int] = 1,
) -> Response:
    try:
        result, _token = await searching.search(
            kb,
            activity,
            q,
            _locale(locale),
            category=category,
            page=max(page, 1),
            per_page=min(max(limit, 1), 50),
            user_id=viewer.id if viewer else None,
            source="api",
        )
    except QueryTooLong:
        return _bad_query()
    return Response(
        {
            "results": [
                {
                    "slug": hit.slug,
                    "title": hit.title,
                    "snippet": hit.snippet_html,
                    "category": hit.category,
                    "locale": hit.locale,
                    "score": hit.score,
                }
                for hit in result.results
            ],
            "total": result.total,
            "did_you_mean": result.did_you_mean,
        }
    )


@get("/api/kb/suggest", opt={**READER, **NO_FORM})
async def suggest(
    kb: NamedDependency[IndexSync], q: FromQuery[str] = "", locale: FromQuery[str] = "", limit: FromQuery[int] = 8
) -> Response:
    try:
        found = await searching.suggest(kb, q, _locale(locale), limit=min(max(limit, 1), 20))
    except QueryTooLong:
        return _bad_query()
    return Response(
        {"suggestions": [{"slug": s.slug, "title": s.title, "url": f"/kb/{s.slug}", "locale": s.locale} for s in found]}
    )


@get("/api/kb/articles/{slug:str}", opt={**READER, **NO_FORM})
async def article(slug: FromPath[str]) -> Response:
    found = await articles.by_slug(slug)
    return Response(
        {
            "slug": found.slug,
            "title": found.title,
            "summary": found.summary,
            "locale": found.locale,
            "category": found.category.slug if found.category and found.category.id else None,
            "tags": list(articles.tags_of(found.tags)),
            "body": found.body,
            "html": render(found.body).html,
            "updated_at": found.updated_at.isoformat(),
            "translations": [{"slug": t["slug"], "locale": t["locale"]} for t in await articles.translations(found)],
        }
    )


ROUTES = [search, suggest, article]
