"""The values the search engine takes and returns: documents, hits, pages, suggestions, errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Hit", "IndexDoc", "IndexHealth", "QueryTooLong", "SearchPage", "Suggestion"]


class QueryTooLong(ValueError):
    """The query has more characters or words than the engine accepts (the web layer answers 400)."""


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """One article as the index sees it: plain text, already rendered from Markdown."""

    id: int
    slug: str
    locale: str
    title: str
    summary: str
    body: str
    category: str | None
    tags: tuple[str, ...]
    public: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    slug: str
    title: str
    # Built from escaped text with <mark> around matches: safe to emit without escaping again.
    snippet_html: str
    category: str | None
    locale: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchPage:
    results: list[Hit]
    total: int
    did_you_mean: str | None = None
    page: int = 1
    per_page: int = 10


@dataclass(frozen=True, slots=True)
class Suggestion:
    slug: str
    title: str
    locale: str = ""


@dataclass(frozen=True, slots=True)
class IndexHealth:
    """What `SearchIndex.check()` found; anything but ok means: rebuild from the database."""

    ok: bool
    reason: str = ""
    doc_count: int = 0
