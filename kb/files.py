"""Articles to and from files: a folder of Markdown files with front matter, or a JSONL file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kb.articles import tags_of
from kb.frontmatter import ArticleFormatError, ArticleInput, dump, load, rows_from_jsonl
from kb.languages import LOCALES
from kb.tables import Article, Category, Status


def count_inputs(path: Path) -> int:
    if path.is_dir():
        return sum(1 for _ in sorted(path.rglob("*.md")))
    with path.open(encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def read_inputs(path: Path, locale: str | None = None) -> Iterator[ArticleInput]:
    """Every article under `path` (a folder of .md files, or a .jsonl file); errors name the file and line."""
    if not path.exists():
        raise ArticleFormatError(f"{path} does not exist")
    if path.is_dir():
        for file in sorted(path.rglob("*.md")):
            yield load(file, default_locale=locale or _locale_from_folder(file, path))
        return
    if path.suffix != ".jsonl":
        raise ArticleFormatError(f"{path}: give a folder of .md files or a .jsonl file")
    with path.open(encoding="utf-8") as handle:
        yield from rows_from_jsonl(handle, locale or "en")


def _locale_from_folder(file: Path, root: Path) -> str | None:
    """content/en/…, content/ru/…: the folder names the language when the front matter does not."""
    for part in file.relative_to(root).parts[:-1]:
        if part in LOCALES:
            return part
    return None


async def export(directory: Path) -> int:
    """Write every article as `<locale>/<slug>.md`; returns the count."""
    count = 0
    categories = {row["id"]: row["slug"] for row in await Category.select(Category.id, Category.slug)}
    for row in await Article.select().order_by(Article.id):
        item = ArticleInput(
            slug=row["slug"],
            title=row["title"],
            body=row["body"],
            category=categories.get(row["category"]),
            locale=row["locale"],
            tags=tags_of(row["tags"]),
            summary=row["summary"] or None,
            translation_key=row["translation_key"] or None,
        )
        target = directory / row["locale"] / f"{row['slug']}.md"
        if row["status"] != Status.PUBLISHED:
            target = directory / row["status"] / row["locale"] / f"{row['slug']}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump(item), encoding="utf-8")
        count += 1
    return count
