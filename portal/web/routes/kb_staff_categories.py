"""Staff: the knowledge base's categories, with their article counts; adding and renaming them."""

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from kb.articles import ArticleError, ArticleNotFound
from portal.knowledge import categories
from portal.web.guards import STAFF

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class CategoryForm(msgspec.Struct):
    slug: str = ""
    name_en: str = ""
    name_ru: str = ""


async def _page(status: int = 200, **context: object) -> Template:
    return Template(
        template_name="staff/kb_categories.html",
        status_code=status,
        context={"categories": await categories.staff_categories(), **context},
    )


@get("/staff/kb/categories", opt=STAFF)
async def categories_page(done: FromQuery[str | None] = None) -> Template:
    return await _page(done=done)


@post("/staff/kb/categories", opt=STAFF)
async def create_category(data: Annotated[CategoryForm, FORM]) -> Response:
    try:
        await categories.save_category(data.slug, data.name_en, data.name_ru)
    except ArticleError as exc:
        return await _page(status=400, error=exc.code, invalid=exc.field, form=data)
    return Redirect(path="/staff/kb/categories?done=category_created")


@post("/staff/kb/categories/{category_id:int}", opt=STAFF)
async def rename_category(category_id: FromPath[int], data: Annotated[CategoryForm, FORM]) -> Response:
    try:
        await categories.save_category("", data.name_en, data.name_ru, category_id=category_id)
    except ArticleNotFound:
        raise  # answered as 404 by the error handlers, not as a form error
    except ArticleError as exc:
        return await _page(status=400, error=exc.code, invalid=exc.field, failed=category_id, renamed=data)
    return Redirect(path="/staff/kb/categories?done=category_saved")


ROUTES = [categories_page, create_category, rename_category]
