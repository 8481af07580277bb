"""Searching the knowledge base as readers and staff do: one page of results, suggestions, the search log,
and which languages a search looks in."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kb.activity import ReaderActivity
from kb.indexing import IndexSync
from kb.languages import LOCALES
from kb.search import IndexUnavailable, SearchPage, Suggestion, run_search
from kb.search.analysis import script_language
from kb.tables import Article, Status
from portal.knowledge import reading

T = TypeVar("T")


async def _run(sync: IndexSync, fn: Callable[[], T]) -> T:
    """In a worker thread, as many at once as the CPUs can do (SearchBusy past the queue); a damaged
    or missing index is rebuilt from the database and asked again (Rebuilding, a SearchBusy, when
    the rebuild takes longer than a reader should wait)."""
    try:
        return await run_search(sync.index, fn)
    except IndexUnavailable:
        await sync.healed()
        return await run_search(sync.index, fn)


def languages(q: str, locale: str) -> tuple[str, ...]:
    """Where a search looks first: the reader's language, and the language the query is written in
    ("доставка" typed in the English interface looks in the Russian articles too)."""
    written = script_language(q)
    return (locale,) if written == locale or written not in LOCALES else (locale, written)


def _everywhere(first: tuple[str, ...]) -> tuple[str, ...] | None:
    """Where to look when the first languages found nothing: every language, if that is more."""
    return LOCALES if set(LOCALES) - set(first) else None


async def find(
    sync: IndexSync,
    q: str,
    locale: str,
    *,
    category: str | None = None,
    page: int = 1,
    per_page: int = 10,
    staff: bool = False,
) -> SearchPage:
    """One page of results, not logged (`search` logs it), in the reader's language and the query's,
    and in every language when those have nothing. Hits keep their own `locale`. Raises QueryTooLong."""
    first = languages(q, locale)

    def run() -> SearchPage:
        def search(locales: tuple[str, ...]) -> SearchPage:
            return sync.index.search(
                q, locales, category=category or None, page=page, per_page=per_page, public_only=not staff
            )

        found = search(first)
        wider = _everywhere(first)
        return search(wider) if not found.total and wider else found

    return await _run(sync, run)


async def search(
    sync: IndexSync,
    activity: ReaderActivity,
    q: str,
    locale: str,
    *,
    category: str | None = None,
    page: int = 1,
    per_page: int = 10,
    staff: bool = False,
    user_id: int | None = None,
    source: str = "page",
) -> tuple[SearchPage, str]:
    """One page of results and the token of its search-log entry (pages after the first are not
    new searches). Raises QueryTooLong."""
    result = await find(sync, q, locale, category=category, page=page, per_page=per_page, staff=staff)
    token = (
        activity.search(q, locale, result.total, category=category or "", user_id=user_id, source=source)
        if page == 1
        else ""
    )
    return result, token


async def suggest(
    sync: IndexSync, prefix: str, locale: str, *, staff: bool = False, limit: int = 8
) -> list[Suggestion]:
    """Articles for what is typed so far, in the same languages a search of it would look in."""
    first = languages(prefix, locale)

    def run() -> list[Suggestion]:
        found = sync.index.suggest(prefix, first, limit=limit, public_only=not staff)
        wider = _everywhere(first)
        return sync.index.suggest(prefix, wider, limit=limit, public_only=not staff) if not found and wider else found

    return await _run(sync, run)


async def translations_into(sync: IndexSync, article_ids: list[int], locale: str) -> dict[int, dict]:
    """For each of the articles that has a published translation into `locale`: its slug and title."""
    keys, published = await reading.memo(sync, ("translations",), _translations)
    found = {}
    for article_id in article_ids:
        translation = published.get((keys.get(article_id), locale))
        if translation is not None:
            found[article_id] = translation
    return found


async def _translations() -> tuple[dict[int, str], dict[tuple[str, str], dict]]:
    """Every article's translation key, and the published article of each key and language: read once
    per change of the articles rather than in every search with hits in another language."""
    keys = {
        row["id"]: row["translation_key"]
        for row in await Article.select(Article.id, Article.translation_key).where(Article.translation_key != "")
    }
    published = {
        (row["translation_key"], row["locale"]): {"slug": row["slug"], "title": row["title"]}
        for row in await Article.select(Article.translation_key, Article.locale, Article.slug, Article.title).where(
            (Article.translation_key != "") & (Article.status == Status.PUBLISHED)
        )
    }
    return keys, published
