"""What the staff pages of the knowledge base read: the filtered article list, feedback, revisions and their diffs."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from kb.articles import LOCALES, ArticleNotFound
from kb.tables import Article, Feedback, Revision, Status

PER_PAGE = 50
COMMENTS_SHOWN = 20
DIFF_CONTEXT = 3
# The parts of an article a revision keeps, in the order a diff shows them.
DIFF_FIELDS = ("title", "summary", "category", "tags", "body")


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = ""
    locale: str = ""
    category: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def of(cls, status: str, locale: str, category: str, q: str, page: int) -> Filters:
        """Unknown values are dropped rather than refused: a stale bookmark still lists something."""
        return cls(
            status=status if status in set(Status) else "",
            locale=locale if locale in LOCALES else "",
            category=category[:80],
            q=" ".join(q.split())[:200],
            page=max(page, 1),
        )


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "same", "added", "removed" or "gap" (unchanged lines left out)
    marker: str
    text: str
    old: int | None
    new: int | None


@dataclass(frozen=True, slots=True)
class FieldDiff:
    field: str
    lines: list[DiffLine]


def _title_matches(q: str):
    pattern = f"%{q}%"
    # Piccolo's ilike() is PostgreSQL-only (with a warning elsewhere); SQLite's LIKE already ignores ASCII case.
    if Article._meta.db.engine_type == "postgres":
        return Article.title.ilike(pattern)
    return Article.title.like(pattern)


async def article_rows(filters: Filters) -> tuple[list[dict], bool]:
    """One page of articles in every status and language, the latest change first; and whether more follow."""
    query = Article.select(
        Article.id,
        Article.slug,
        Article.title,
        Article.locale,
        Article.status,
        Article.views,
        Article.helpful_yes,
        Article.helpful_no,
        Article.updated_at,
        Article.category,
    )
    if filters.status:
        query = query.where(Article.status == filters.status)
    if filters.locale:
        query = query.where(Article.locale == filters.locale)
    if filters.category:
        query = query.where(Article.category.slug == filters.category)
    if filters.q:
        query = query.where(_title_matches(filters.q))
    rows = (
        await query.order_by(Article.updated_at, ascending=False)
        .order_by(Article.id, ascending=False)
        .limit(PER_PAGE + 1)
        .offset((filters.page - 1) * PER_PAGE)
    )
    return [{**row, "helpful_pct": helpful_pct(row["helpful_yes"], row["helpful_no"])} for row in rows[:PER_PAGE]], len(
        rows
    ) > PER_PAGE


def helpful_pct(yes: int, no: int) -> int | None:
    return round(100 * yes / (yes + no)) if yes + no else None


async def latest_comments(article_id: int) -> list[dict]:
    return (
        await Feedback.select(Feedback.helpful, Feedback.comment, Feedback.created_at)
        .where((Feedback.article == article_id) & (Feedback.comment != ""))
        .order_by(Feedback.created_at, ascending=False)
        .order_by(Feedback.id, ascending=False)
        .limit(COMMENTS_SHOWN)
    )


async def revision_rows(article_id: int) -> list[dict]:
    return (
        await Revision.select(
            Revision.number,
            Revision.created_at,
            Revision.note,
            Revision.status,
            Revision.author.name.as_alias("author_name"),
        )
        .where(Revision.article == article_id)
        .order_by(Revision.number, ascending=False)
    )


async def revision_count(article_id: int) -> int:
    return await Revision.count().where(Revision.article == article_id)


def _texts_of_revision(revision: Revision | None) -> dict[str, str]:
    if revision is None:
        return dict.fromkeys(DIFF_FIELDS, "")
    return {
        "title": revision.title,
        "summary": revision.summary,
        "category": revision.category_slug,
        "tags": revision.tags,
        "body": revision.body,
    }


def _texts_of_article(article: Article) -> dict[str, str]:
    category = article.category.slug if article.category and article.category.id else ""
    return {
        "title": article.title,
        "summary": article.summary,
        "category": category or "",
        "tags": article.tags,
        "body": article.body,
    }


@dataclass(frozen=True, slots=True)
class RevisionDiff:
    revision: Revision
    previous: Revision | None
    since_previous: list[FieldDiff]
    to_current: list[FieldDiff]


async def revision_diff(article: Article, number: int) -> RevisionDiff:
    """What a revision changed from the one before it, and how it differs from the article as it is now."""
    found = await Revision.objects().where(
        (Revision.article == article.id) & (Revision.number.is_in([number, number - 1]))
    )
    by_number = {revision.number: revision for revision in found}
    if number not in by_number:
        raise ArticleNotFound()
    revision, previous = by_number[number], by_number.get(number - 1)
    texts = _texts_of_revision(revision)
    return RevisionDiff(
        revision, previous, compare(_texts_of_revision(previous), texts), compare(texts, _texts_of_article(article))
    )


def compare(old: dict[str, str], new: dict[str, str]) -> list[FieldDiff]:
    return [FieldDiff(field, diff_lines(old[field], new[field])) for field in DIFF_FIELDS if old[field] != new[field]]


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """A unified diff as rows: changed lines with a few unchanged ones around them, numbered on both sides."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for number, group in enumerate(SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(DIFF_CONTEXT)):
        if number:
            lines.append(DiffLine("gap", "…", "", None, None))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", "", a[i], i + 1, j1 + i - i1 + 1) for i in range(i1, i2)]
                continue
            lines += [DiffLine("removed", "−", a[i], i + 1, None) for i in range(i1, i2)]
            lines += [DiffLine("added", "+", b[j], None, j + 1) for j in range(j1, j2)]
    return lines
