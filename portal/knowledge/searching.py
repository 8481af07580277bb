"""Searching the knowledge base as readers and staff do: one page of results, suggestions, the search log."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kb.activity import ReaderActivity
from kb.indexing import IndexSync
from kb.search import IndexUnavailable, SearchPage, Suggestion, run_search

T = TypeVar("T")


async def _run(sync: IndexSync, fn: Callable[[], T]) -> T:
    """In a worker thread, as many at once as the CPUs can do (SearchBusy past the queue); a damaged
    or missing index is rebuilt from the database and asked again."""
    try:
        return await run_search(sync.index, fn)
    except IndexUnavailable:
        await sync.heal()
        return await run_search(sync.index, fn)


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
    """One page of results, not logged (`search` logs it). Raises QueryTooLong."""

    def run() -> SearchPage:
        return sync.index.search(
            q, locale, category=category or None, page=page, per_page=per_page, public_only=not staff
        )

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
    def run() -> list[Suggestion]:
        return sync.index.suggest(prefix, locale, limit=limit, public_only=not staff)

    return await _run(sync, run)
