"""Articles: writing and revising them, the review workflow, what readers may see, votes and views."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from piccolo.query.functions.aggregate import Count

from kb.frontmatter import ArticleInput, slugify
from kb.languages import LOCALES
from kb.tables import Article, Category, Feedback, IndexChange, Revision, Status

MAX_TITLE = 2000
MAX_BODY = 200_000

# The review workflow, checked here and nowhere else.
TRANSITIONS: dict[Status, set[Status]] = {
    Status.DRAFT: {Status.REVIEW, Status.PUBLISHED, Status.ARCHIVED},
    Status.REVIEW: {Status.DRAFT, Status.PUBLISHED, Status.ARCHIVED},
    Status.PUBLISHED: {Status.DRAFT, Status.ARCHIVED},
    Status.ARCHIVED: {Status.DRAFT, Status.PUBLISHED},
}


class ArticleError(Exception):
    """A knowledge-base rule was broken; `code` names the message shown to the user."""

    def __init__(self, code: str, field: str = "") -> None:
        super().__init__(code)
        self.code, self.field = code, field


class ArticleNotFound(ArticleError):
    def __init__(self) -> None:
        super().__init__("article_not_found")


@dataclass(frozen=True, slots=True)
class Draft:
    """What an editor submits for an article."""

    title: str
    body: str
    locale: str = "en"
    summary: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    slug: str = ""
    translation_key: str = ""

    @classmethod
    def from_input(cls, item: ArticleInput) -> Draft:
        return cls(
            title=item.title,
            body=item.body,
            locale=item.locale,
            summary=item.summary or "",
            category=item.category or "",
            tags=item.tags,
            slug=item.slug,
            translation_key=item.translation_key or "",
        )


def tags_of(stored: str) -> tuple[str, ...]:
    """The tags of an article or revision, as the comma-separated column keeps them."""
    return tuple(filter(None, stored.split(",")))


def clean(draft: Draft) -> Draft:
    title = " ".join(draft.title.split())
    if not title:
        raise ArticleError("title_required", "title")
    if len(title) > MAX_TITLE:
        raise ArticleError("title_too_long", "title")
    if not draft.body.strip():
        raise ArticleError("body_required", "body")
    if len(draft.body) > MAX_BODY:
        raise ArticleError("body_too_long", "body")
    if draft.locale not in LOCALES:
        raise ArticleError("invalid_locale", "locale")
    slug = slugify(draft.slug or title)
    tags = tuple(dict.fromkeys(t.strip().lower() for t in draft.tags if t.strip()))[:20]
    return replace(
        draft,
        title=title,
        slug=slug,
        tags=tags,
        summary=" ".join(draft.summary.split())[:500],
        category=slugify(draft.category) if draft.category else "",
        translation_key=draft.translation_key.strip()[:200] or slug,
    )


async def _category_id(slug: str) -> int | None:
    if not slug:
        return None
    row = await Category.select(Category.id).where(Category.slug == slug).first()
    if row is None:
        raise ArticleError("category_unknown", "category")
    return row["id"]


async def _changed(article_id: int) -> None:
    await IndexChange(article_id=article_id).save()


async def _revise(article: Article, author_id: int | None, note: str) -> None:
    last = (
        await Revision.select(Revision.number)
        .where(Revision.article == article.id)
        .order_by(Revision.number, ascending=False)
        .first()
    )
    category = (
        await Category.select(Category.slug).where(Category.id == article.category).first()
        if article.category
        else None
    )
    await Revision(
        article=article.id,
        number=(last["number"] + 1) if last else 1,
        title=article.title,
        summary=article.summary,
        body=article.body,
        category_slug=category["slug"] if category else "",
        tags=article.tags,
        status=article.status,
        author=author_id,
        note=note[:300],
    ).save()


async def create(draft: Draft, author_id: int | None = None, status: Status = Status.DRAFT) -> Article:
    """A new article; call inside a write transaction (the article, its revision and the index change)."""
    draft = clean(draft)
    if await Article.exists().where(Article.slug == draft.slug):
        raise ArticleError("slug_taken", "slug")
    now = datetime.now(UTC)
    article = Article(
        slug=draft.slug,
        locale=draft.locale,
        translation_key=draft.translation_key,
        title=draft.title,
        summary=draft.summary,
        body=draft.body,
        category=await _category_id(draft.category),
        tags=",".join(draft.tags),
        status=status,
        author=author_id,
        updated_at=now,
        published_at=now if status == Status.PUBLISHED else None,
    )
    await article.save()
    await _revise(article, author_id, "created")
    await _changed(article.id)
    return article


async def update(article: Article, draft: Draft, author_id: int | None = None, note: str = "") -> Article:
    draft = clean(draft)
    if draft.slug != article.slug and await Article.exists().where(
        (Article.slug == draft.slug) & (Article.id != article.id)
    ):
        raise ArticleError("slug_taken", "slug")
    article.slug, article.locale, article.title = draft.slug, draft.locale, draft.title
    article.summary, article.body, article.tags = draft.summary, draft.body, ",".join(draft.tags)
    article.translation_key = draft.translation_key
    article.category = await _category_id(draft.category)
    article.updated_at = datetime.now(UTC)
    await article.save()
    await _revise(article, author_id, note or "edited")
    await _changed(article.id)
    return article


async def transition(article: Article, target: Status, author_id: int | None = None) -> Article:
    current = Status(article.status)
    if target not in TRANSITIONS[current]:
        raise ArticleError("invalid_transition", "status")
    article.status = target.value
    article.updated_at = datetime.now(UTC)
    if target == Status.PUBLISHED and article.published_at is None:
        article.published_at = article.updated_at
    await article.save([Article.status, Article.updated_at, Article.published_at])
    await _revise(article, author_id, f"status: {target.value}")
    await _changed(article.id)
    return article


async def restore(article: Article, number: int, author_id: int | None = None) -> Article:
    revision = await Revision.objects().where((Revision.article == article.id) & (Revision.number == number)).first()
    if revision is None:
        raise ArticleError("revision_not_found")
    draft = Draft(
        title=revision.title,
        body=revision.body,
        locale=article.locale,
        summary=revision.summary,
        category=revision.category_slug,
        tags=tags_of(revision.tags),
        slug=article.slug,
        translation_key=article.translation_key,
    )
    return await update(article, draft, author_id, note=f"restored revision {number}")


async def upsert(item: ArticleInput, status: Status = Status.PUBLISHED) -> tuple[Article, bool]:
    """Import: create the article, or update it when its content differs; returns (article, changed)."""
    draft = clean(Draft.from_input(item))
    if draft.category:
        await ensure_category(draft.category)
    article = await Article.objects().where(Article.slug == draft.slug).first()
    if article is None:
        return await create(draft, status=status), True
    same = (article.title, article.body, article.summary, article.locale, article.tags, article.status) == (
        draft.title,
        draft.body,
        draft.summary,
        draft.locale,
        ",".join(draft.tags),
        status.value,
    )
    if same:
        return article, False
    article = await update(article, draft, note="imported")
    if article.status != status.value:
        article.status = status.value
        article.published_at = article.published_at or datetime.now(UTC)
        await article.save([Article.status, Article.published_at])
    return article, True


async def ensure_category(slug: str, name_en: str = "", name_ru: str = "", position: int | None = None) -> Category:
    category = await Category.objects().where(Category.slug == slug).first()
    fallback = slug.replace("-", " ").capitalize()
    if category is None:
        count = await Category.count()
        category = Category(
            slug=slug,
            name_en=name_en or fallback,
            name_ru=name_ru or name_en or fallback,
            position=count if position is None else position,
        )
        await category.save()
    elif name_en or name_ru or position is not None:
        category.name_en = name_en or category.name_en
        category.name_ru = name_ru or category.name_ru
        category.position = category.position if position is None else position
        await category.save()
    return category


async def get(article_id: int) -> Article:
    article = await Article.objects(Article.category).where(Article.id == article_id).first()
    if article is None:
        raise ArticleNotFound()
    return article


async def by_slug(slug: str, *, staff: bool = False) -> Article:
    """An article by slug; readers get published ones only (a draft is as absent as a missing page)."""
    query = Article.objects(Article.category).where(Article.slug == slug)
    if not staff:
        query = query.where(Article.status == Status.PUBLISHED)
    article = await query.first()
    if article is None:
        raise ArticleNotFound()
    return article


async def vote(article_id: int, helpful: bool, comment: str = "", user_id: int | None = None) -> None:
    await Feedback(article=article_id, helpful=helpful, comment=comment.strip()[:2000], user=user_id).save()
    column = Article.helpful_yes if helpful else Article.helpful_no
    await Article.update({column: column + 1}).where(Article.id == article_id)


async def categories_with_counts(locale: str) -> list[dict]:
    rows = await Category.select().order_by(Category.position).order_by(Category.slug)
    counts = (
        await Article.select(Article.category, Count(Article.id, alias="n"))
        .where((Article.status == Status.PUBLISHED) & (Article.locale == locale))
        .group_by(Article.category)
    )
    per = {row["category"]: row["n"] for row in counts}
    return [{**row, "articles": per.get(row["id"], 0)} for row in rows]


_LISTED = (
    Article.id,
    Article.slug,
    Article.title,
    Article.summary,
    Article.locale,
    Article.views,
    Article.updated_at,
    Article.category.slug.as_alias("category_slug"),
)


async def listing(locale: str, *, category_id: int | None = None, order: str = "recent", limit: int = 10) -> list[dict]:
    query = Article.select(*_LISTED).where((Article.status == Status.PUBLISHED) & (Article.locale == locale))
    if category_id is not None:
        query = query.where(Article.category == category_id)
    column = {"recent": Article.updated_at, "popular": Article.views, "title": Article.title}[order]
    return await query.order_by(column, ascending=order == "title").limit(limit)


async def related(article: Article, limit: int = 5) -> list[dict]:
    """Published articles in the same language and category, those sharing most tags first."""
    category_id = getattr(article.category, "id", article.category)
    if not category_id:
        return []
    tags = set(tags_of(article.tags))
    candidates = (
        await Article.select(*_LISTED, Article.tags)
        .where(
            (Article.status == Status.PUBLISHED)
            & (Article.locale == article.locale)
            & (Article.id != article.id)
            & (Article.category == category_id)
        )
        .order_by(Article.views, ascending=False)
        .limit(200)
    )

    def closeness(row: dict) -> tuple[int, int]:
        return len(tags & set(tags_of(row["tags"]))), row["views"]

    return sorted(candidates, key=closeness, reverse=True)[:limit]


async def translations(article: Article) -> list[dict]:
    if not article.translation_key:
        return []
    return await Article.select(Article.slug, Article.locale, Article.title).where(
        (Article.translation_key == article.translation_key)
        & (Article.id != article.id)
        & (Article.status == Status.PUBLISHED)
    )
