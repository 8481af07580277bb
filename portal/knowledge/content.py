"""Loading the knowledge base: imports from files, the shipped content, and the index catching up."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kb import articles, files
from kb.frontmatter import ArticleFormatError
from kb.indexing import IndexSync, log_pages_change
from kb.search import IndexUnavailable
from kb.tables import Article
from portal.db import write_transaction

IMPORT_BATCH = 200


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
