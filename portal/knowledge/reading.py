"""What a reader of the knowledge base sees (the front page, a category, an article with its context) and
the vote they leave on an article."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, unquote

import anyio.to_thread

from kb import articles
from kb.indexing import IndexSync
from kb.markdown import Rendered, render
from kb.tables import Article, Category, Status
from portal.db import write_transaction

TOC_FROM_HEADINGS = 3
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ArticleView:
    article: Article
    rendered: Rendered
    category: Category | None
    related: list[dict]
    translations: list[dict]

    @property
    def show_toc(self) -> bool:
        return len(self.rendered.toc) >= TOC_FROM_HEADINGS


async def with_fallback(rows: list[dict], locale: str, fallback_rows: list[dict]) -> list[dict]:
    """A reader's language first; English articles that have no translation follow, marked as such."""
    if locale == "en":
        return rows
    translated = {
        row["translation_key"]
        for row in await Article.select(Article.translation_key).where(
            (Article.locale == locale) & (Article.status == Status.PUBLISHED)
        )
    }
    keys = {
        row["id"]: row["translation_key"]
        for row in await Article.select(Article.id, Article.translation_key).where(
            Article.id.is_in([r["id"] for r in fallback_rows] or [0])
        )
    }
    extra = [{**row, "fallback": True} for row in fallback_rows if keys.get(row["id"]) not in translated]
    return rows + extra


async def memo(sync: IndexSync, key: tuple, build: Callable[[], Awaitable[T]]) -> T:
    """Reader pages change only when articles do; the index sync clears this when they do."""
    if key in sync.memo:
        return sync.memo[key]  # type: ignore[return-value]
    changes = sync.changes
    value = await build()
    if sync.changes == changes:  # else a change was applied while building: this may predate it
        sync.memo[key] = value
    return value


async def front_page(sync: IndexSync, locale: str) -> dict:
    return await memo(sync, ("front", locale), lambda: _front_page(locale))


async def _front_page(locale: str) -> dict:
    return {
        "categories": await articles.categories_with_counts(locale),
        "popular": await with_fallback(
            await articles.listing(locale, order="popular", limit=6),
            locale,
            await articles.listing("en", order="popular", limit=6),
        ),
        "recent": await with_fallback(
            await articles.listing(locale, order="recent", limit=6),
            locale,
            await articles.listing("en", order="recent", limit=6),
        ),
    }


async def category_page(sync: IndexSync, slug: str, locale: str) -> tuple[Category, list[dict]]:
    return await memo(sync, ("category", slug, locale), lambda: _category_page(slug, locale))


async def _category_page(slug: str, locale: str) -> tuple[Category, list[dict]]:
    category = await Category.objects().where(Category.slug == slug).first()
    if category is None:
        raise articles.ArticleNotFound()
    own = await articles.listing(locale, category_id=category.id, order="title", limit=500)
    english = await articles.listing("en", category_id=category.id, order="title", limit=500)
    return category, await with_fallback(own, locale, english)


async def categories(sync: IndexSync, locale: str) -> list[dict]:
    return await memo(sync, ("categories", locale), lambda: articles.categories_with_counts(locale))


async def article_page(sync: IndexSync, slug: str) -> ArticleView:
    return await memo(sync, ("article", slug), lambda: _article_page(slug))


async def _article_page(slug: str) -> ArticleView:
    article = await articles.by_slug(slug)
    rendered = await anyio.to_thread.run_sync(render, article.body)
    category = article.category if article.category and article.category.id else None
    return ArticleView(
        article, rendered, category, await articles.related(article), await articles.translations(article)
    )


# An article's page; /kb/search and /kb/category/... are other pages (the slug pattern excludes "/").
_ARTICLE_PATH = re.compile(r"/kb/(?P<slug>[^/?#]+)(?P<rest>[?#].*)?")
_NOT_ARTICLES = {"search"}


async def in_language(path: str, locale: str) -> str:
    """Where a reader who switches to `locale` on `path` goes: an article's translation into it when
    there is one (its page, without the old page's query), else the same path."""
    match = _ARTICLE_PATH.fullmatch(path)
    if match is None or match["slug"] in _NOT_ARTICLES:
        return path
    try:
        article = await articles.by_slug(unquote(match["slug"]))
    except articles.ArticleNotFound:
        return path
    if article.locale == locale:
        return path
    for translation in await articles.translations(article):
        if translation["locale"] == locale:
            return f"/kb/{quote(translation['slug'])}"
    return path


async def vote(article_id: int, helpful: bool, comment: str, user_id: int | None) -> None:
    async with write_transaction():
        await articles.vote(article_id, helpful, comment, user_id)
