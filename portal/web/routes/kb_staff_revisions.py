"""Staff: an article's revisions, what each one changed, and restoring an old one."""

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from auth.tables import User
from kb import articles
from kb.indexing import IndexSync
from portal.knowledge import editing
from portal.knowledge.staff_view import revision_diff, revision_rows
from portal.web.guards import STAFF


@get("/staff/kb/{article_id:int}/revisions", opt=STAFF)
async def revisions_page(article_id: FromPath[int]) -> Template:
    article = await articles.get(article_id)
    return Template(
        template_name="staff/kb_revisions.html",
        context={"article": article, "revisions": await revision_rows(article_id)},
    )


@get("/staff/kb/{article_id:int}/revisions/{number:int}", opt=STAFF)
async def revision_page(article_id: FromPath[int], number: FromPath[int]) -> Template:
    article = await articles.get(article_id)
    return Template(
        template_name="staff/kb_revision.html",
        context={"article": article, "diff": await revision_diff(article, number)},
    )


@post("/staff/kb/{article_id:int}/revisions/{number:int}/restore", opt=STAFF)
async def restore_revision(
    article_id: FromPath[int], number: FromPath[int], kb: NamedDependency[IndexSync], viewer: NamedDependency[User]
) -> Response:
    await editing.restore_revision(kb, article_id, number, viewer.id)
    return Redirect(path=f"/staff/kb/{article_id}?done=revision_restored")


ROUTES = [revisions_page, revision_page, restore_revision]
