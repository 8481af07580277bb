"""Articles read from files (`kb.frontmatter`) turned into index documents, and bulk loading."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from kb.frontmatter import ArticleInput, JsonlLayout, rows_from_jsonl
from kb.markdown import plain_text
from kb.search.index import SearchIndex
from kb.search.model import IndexDoc

__all__ = ["index_doc", "load_jsonl_into_index"]


def index_doc(article: ArticleInput, doc_id: int, public: bool = True, updated_at: datetime | None = None) -> IndexDoc:
    return IndexDoc(
        id=doc_id,
        slug=article.slug,
        locale=article.locale,
        title=article.title,
        summary=article.summary or "",
        body=plain_text(article.body),
        category=article.category,
        tags=article.tags,
        public=public,
        updated_at=updated_at or datetime.now(UTC),
    )


def load_jsonl_into_index(
    index: SearchIndex, lines: Iterable[str], default_locale: str, layout: JsonlLayout | str = "faq"
) -> dict[str, int]:
    """Rebuild `index` from JSONL rows (ids numbered from 1 in file order); returns slug → id.

    Stands in for the product's `portal kb import` + reindex where no database is at hand (benchmarks).
    """
    articles = list(rows_from_jsonl(lines, default_locale, layout))
    index.rebuild(index_doc(article, number) for number, article in enumerate(articles, 1))
    return {article.slug: number for number, article in enumerate(articles, 1)}
