"""The knowledge base as the portal runs it: imports, the shipped content, search with its log."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from piccolo.query.functions.aggregate import Count

from kb import articles, files
from kb.activity import ReaderActivity
from kb.frontmatter import ArticleFormatError, slugify
from kb.indexing import IndexSync, log_pages_change
from kb.search import IndexUnavailable, SearchPage, Suggestion
from kb.tables import Article, Category
from portal.db import write_transaction

IMPORT_BATCH = 200
CATEGORY_NAME_MAX = 120


@dataclass(frozen=True, slots=True)
class ImportResult:
    changed: int
    unchanged: int


async def load_categories(path: Path) -> int:
    """`categories.tsv`: slug, English name, Russian name, in display order."""
    if not path.exists():
        return 0
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    async with write_transaction():
        for position, row in enumerate(rows):
            await articles.ensure_category(row["slug"], row["name_en"], row["name_ru"], position)
        if rows:
            await log_pages_change()  # names and order may have changed: readers' pages must show them
    return len(rows)


async def import_articles(
    sync: IndexSync, path: Path, locale: str | None = None, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Upsert every article under `path` by slug, in batches, then bring the search index up to date."""
    if path.is_dir():
        await load_categories(path / "categories.tsv")
    items = list(files.read_inputs(path, locale))  # parse everything first: a bad file changes nothing
    changed = unchanged = 0
    for start in range(0, len(items), IMPORT_BATCH):
        async with write_transaction():
            for item in items[start : start + IMPORT_BATCH]:
                try:
                    _article, was_changed = await articles.upsert(item)
                except articles.ArticleError as exc:
                    raise ArticleFormatError(f"{item.slug}: {exc.code.replace('_', ' ')}") from exc
                changed += was_changed
                unchanged += not was_changed
        if progress:
            progress(min(start + IMPORT_BATCH, len(items)))
    if changed:
        # Fresh planner statistics: without any, SQLite looked translations up through the status
        # index (every published article) instead of the translation key, 5 ms per article page.
        await Article.raw("ANALYZE kb_article")
    await catch_up(sync)
    return ImportResult(changed, unchanged)


async def catch_up(sync: IndexSync) -> None:
    """Bring this process's index up to date, building it when there is none yet."""
    try:
        await sync.apply_pending()
    except IndexUnavailable:
        await sync.heal()


async def load_shipped_content(sync: IndexSync, content_dir: Path) -> ImportResult | None:
    """The shipped knowledge base, loaded once into a database that has no article yet."""
    if not content_dir.is_dir() or await Article.count() > 0:
        return None
    return await import_articles(sync, content_dir)


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

    try:
        return await anyio.to_thread.run_sync(run)
    except IndexUnavailable:
        await sync.heal()
        return await anyio.to_thread.run_sync(run)


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

    try:
        return await anyio.to_thread.run_sync(run)
    except IndexUnavailable:
        await sync.heal()
        return await anyio.to_thread.run_sync(run)


async def create_article(sync: IndexSync, draft: articles.Draft, author_id: int) -> Article:
    async with write_transaction():
        article = await articles.create(draft, author_id)
    await sync.apply_pending()
    return article


async def update_article(sync: IndexSync, article_id: int, draft: articles.Draft, author_id: int) -> Article:
    async with write_transaction():
        article = await articles.update(await articles.get(article_id), draft, author_id)
    await sync.apply_pending()
    return article


async def change_status(sync: IndexSync, article_id: int, target: articles.Status, author_id: int) -> Article:
    """Publishing makes the article searchable at once in this process, within seconds in the others."""
    async with write_transaction():
        article = await articles.transition(await articles.get(article_id), target, author_id)
    await sync.apply_pending()
    return article


async def restore_revision(sync: IndexSync, article_id: int, number: int, author_id: int) -> Article:
    async with write_transaction():
        article = await articles.restore(await articles.get(article_id), number, author_id)
    await sync.apply_pending()
    return article


async def vote(article_id: int, helpful: bool, comment: str, user_id: int | None) -> None:
    async with write_transaction():
        await articles.vote(article_id, helpful, comment, user_id)


async def staff_categories() -> list[dict]:
    """Every category with the number of its articles in any status and language (readers count published only)."""
    rows = await Category.select().order_by(Category.position).order_by(Category.slug)
    counts = await Article.select(Article.category, Count(Article.id, alias="n")).group_by(Article.category)
    per = {row["category"]: row["n"] for row in counts}
    return [{**row, "articles": per.get(row["id"], 0)} for row in rows]


def _category_name(value: str, field: str) -> str:
    name = " ".join(value.split())
    if len(name) > CATEGORY_NAME_MAX:
        raise articles.ArticleError("category_name_too_long", field)
    return name


async def _name_taken(name_en: str, category_id: int | None) -> bool:
    # Readers pick categories by name, so two with the same English name would be indistinguishable.
    rows = await Category.select(Category.id, Category.name_en)
    return any(row["name_en"].casefold() == name_en.casefold() and row["id"] != category_id for row in rows)


async def save_category(slug: str, name_en: str, name_ru: str = "", category_id: int | None = None) -> Category:
    """Add a category (no category_id) or rename one; its slug is fixed once made, as reader URLs use it.
    Reader pages show the change once each process applies the change log (its next background pass).

    Raises ArticleError naming the field at fault, ArticleNotFound for an unknown category_id."""
    name_en, name_ru = _category_name(name_en, "name_en"), _category_name(name_ru, "name_ru")
    if not name_en:
        raise articles.ArticleError("category_name_required", "name_en")
    async with write_transaction():
        if await _name_taken(name_en, category_id):
            raise articles.ArticleError("category_name_taken", "name_en")
        if category_id is not None:
            category = await Category.objects().where(Category.id == category_id).first()
            if category is None:
                raise articles.ArticleNotFound()
            category.name_en, category.name_ru = name_en, name_ru or name_en
            await category.save([Category.name_en, Category.name_ru])
            await log_pages_change()
            return category
        if not slug.strip():
            raise articles.ArticleError("category_slug_required", "slug")
        slug = slugify(slug)  # at most 80 characters, the column's length
        if await Category.exists().where(Category.slug == slug):
            raise articles.ArticleError("category_exists", "slug")
        category = Category(slug=slug, name_en=name_en, name_ru=name_ru or name_en, position=await Category.count())
        await category.save()
        await log_pages_change()
        return category
