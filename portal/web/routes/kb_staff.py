"""The knowledge base for staff: every article, writing with a preview, the review workflow, readers' feedback."""

from typing import Annotated, Self

import anyio.to_thread
import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from auth.tables import User
from kb import articles
from kb.articles import TRANSITIONS, ArticleError, Draft, tags_of
from kb.indexing import IndexSync
from kb.markdown import Rendered, render
from kb.tables import Article, Status
from portal import i18n
from portal.insights import overview
from portal.knowledge import categories as kb_categories
from portal.knowledge import editing
from portal.knowledge.staff_view import Filters, article_rows, helpful_pct, latest_comments, revision_count
from portal.web.guards import STAFF
from portal.web.routes import kb_staff_categories, kb_staff_revisions

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class ArticleForm(msgspec.Struct):
    title: str = ""
    slug: str = ""
    locale: str = "en"
    category: str = ""
    tags: str = ""
    summary: str = ""
    body: str = ""
    translation_key: str = ""
    action: str = "save"  # which submit button: "save" or "preview"

    @classmethod
    def of(cls, article: Article) -> Self:
        category = article.category.slug if article.category and article.category.id else ""
        return cls(
            title=article.title,
            slug=article.slug,
            locale=article.locale,
            category=category or "",
            tags=", ".join(tags_of(article.tags)),
            summary=article.summary,
            body=article.body,
            translation_key=article.translation_key,
        )

    def to_draft(self) -> Draft:
        # Browsers send textarea lines ending in CRLF; the stored text (and so every diff) uses LF.
        return Draft(
            title=self.title,
            body=self.body.replace("\r\n", "\n"),
            locale=self.locale,
            summary=self.summary,
            category=self.category,
            tags=tuple(self.tags.split(",")),
            slug=self.slug,
            translation_key=self.translation_key,
        )


class StatusForm(msgspec.Struct):
    target: str = ""


def _target(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        raise ArticleError("invalid_transition", "status") from None


async def preview_of(form: ArticleForm) -> Rendered:
    return await anyio.to_thread.run_sync(render, form.to_draft().body)


async def editor(
    article: Article | None,
    form: ArticleForm,
    *,
    status: int = 200,
    error: ArticleError | None = None,
    preview: Rendered | None = None,
    done: str | None = None,
    **extra: object,
) -> Template:
    context: dict[str, object] = {
        **extra,
        "article": article,
        "form": form,
        "categories": await kb_categories.staff_categories(),
        "locales": i18n.LOCALES,
        "error": error.code if error else None,
        "invalid": error.field if error else "",
        "preview": preview,
        "done": done,
    }
    if article is not None:
        context |= {
            "transitions": [target for target in Status if target in TRANSITIONS[Status(article.status)]],
            "helpful_pct": helpful_pct(article.helpful_yes, article.helpful_no),
            "comments": await latest_comments(article.id),
            "revisions": await revision_count(article.id),
            "provenance": await overview.article_stats(article.id),
        }
    return Template(template_name="staff/kb_edit.html", status_code=status, context=context)


@get("/staff/kb", opt=STAFF)
async def article_list(
    status: FromQuery[str] = "",
    locale: FromQuery[str] = "",
    category: FromQuery[str] = "",
    q: FromQuery[str] = "",
    page: FromQuery[int] = 1,
) -> Template:
    filters = Filters.of(status, locale, category, q, page)
    rows, more = await article_rows(filters)
    categories = await kb_categories.staff_categories()
    return Template(
        template_name="staff/kb_list.html",
        context={
            "rows": rows,
            "more": more,
            "filters": filters,
            "categories": categories,
            "category_of": {c["id"]: c for c in categories},
            "statuses": list(Status),
            "locales": i18n.LOCALES,
        },
    )


@get("/staff/kb/new", opt=STAFF)
async def new_article(title: FromQuery[str] = "") -> Template:
    """The editor, empty or with a title to start from (a content gap's query: "write an article")."""
    return await editor(None, ArticleForm(title=" ".join(title.split())[:200]))


@post("/staff/kb/new", opt=STAFF)
async def create_article(
    data: Annotated[ArticleForm, FORM], kb: NamedDependency[IndexSync], viewer: NamedDependency[User]
) -> Response:
    if data.action == "preview":
        return await editor(None, data, preview=await preview_of(data))
    try:
        article = await editing.create_article(kb, data.to_draft(), viewer.id)
    except ArticleError as exc:
        return await editor(None, data, status=400, error=exc)
    return Redirect(path=f"/staff/kb/{article.id}?done=article_created")


@get("/staff/kb/{article_id:int}", opt=STAFF)
async def edit_article(article_id: FromPath[int], done: FromQuery[str | None] = None) -> Template:
    article = await articles.get(article_id)
    return await editor(article, ArticleForm.of(article), done=done)


@post("/staff/kb/{article_id:int}", opt=STAFF)
async def save_article(
    article_id: FromPath[int],
    data: Annotated[ArticleForm, FORM],
    kb: NamedDependency[IndexSync],
    viewer: NamedDependency[User],
) -> Response:
    article = await articles.get(article_id)  # a missing article is a 404, not a form error
    if data.action == "preview":
        return await editor(article, data, preview=await preview_of(data))
    try:
        await editing.update_article(kb, article_id, data.to_draft(), viewer.id)
    except ArticleError as exc:
        return await editor(article, data, status=400, error=exc)
    return Redirect(path=f"/staff/kb/{article_id}?done=article_saved")


@post("/staff/kb/{article_id:int}/status", opt=STAFF)
async def change_status(
    article_id: FromPath[int],
    data: Annotated[StatusForm, FORM],
    kb: NamedDependency[IndexSync],
    viewer: NamedDependency[User],
) -> Response:
    article = await articles.get(article_id)
    try:
        await editing.change_status(kb, article_id, _target(data.target), viewer.id)
    except ArticleError as exc:
        return await editor(article, ArticleForm.of(article), status=400, error=exc)
    return Redirect(path=f"/staff/kb/{article_id}?done=article_status_changed")


ROUTES = [
    article_list,
    new_article,
    create_article,
    edit_article,
    save_article,
    change_status,
    *kb_staff_revisions.ROUTES,
    *kb_staff_categories.ROUTES,
]
