"""Categories as staff keep them: counts of every status, adding and renaming."""

from __future__ import annotations

from piccolo.query.functions.aggregate import Count

from kb import articles
from kb.frontmatter import slugify
from kb.indexing import log_pages_change
from kb.tables import Article, Category
from portal.db import write_transaction

CATEGORY_NAME_MAX = 120


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
