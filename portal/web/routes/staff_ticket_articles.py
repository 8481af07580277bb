"""A ticket and the knowledge base, for staff: turning a resolved ticket into a draft article, and
answering a ticket with a published article (found by the ticket page's search, or the one its
recurring question already has)."""

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect

from auth.tables import User
from kb.articles import ArticleError
from kb.indexing import IndexSync
from portal.insights import drafting, recurring
from portal.insights.drafting import NotResolved
from portal.insights.recurring import GroupNotFound
from portal.knowledge import answering
from portal.settings import Settings
from portal.tickets.errors import TicketError
from portal.web.guards import STAFF
from portal.web.routes.kb_staff import ArticleForm, editor, preview_of
from portal.web.routes.staff_tickets import load, page

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
MAX_SOURCES = 2000


class DraftForm(ArticleForm):
    sources: str = ""  # the ticket ids the article is written from, comma-separated


class AnswerForm(msgspec.Struct):
    article: str = ""


def _ids(sources: str) -> list[int]:
    return [int(part) for part in sources.split(",") if part.strip().isdigit()][:MAX_SOURCES]


@get("/staff/tickets/{number:int}/article", opt=STAFF)
async def draft_page(
    number: FromPath[int],
    viewer: NamedDependency[User],
    kb: NamedDependency[IndexSync],
    reply: FromQuery[list[int] | None] = None,
    group: FromQuery[int | None] = None,
) -> Response:
    """The editor, prefilled from the ticket, with what was scrubbed listed for review."""
    ticket = await load(viewer, number)
    try:
        proposal = await drafting.propose(kb, ticket, reply)
    except NotResolved:
        return await page(await load(viewer, number), viewer=viewer, status=400, error="ticket_not_resolved")
    sources = [ticket.id]
    if group is not None:
        try:
            sources = list(dict.fromkeys([ticket.id, *await recurring.members_of(group)]))
        except GroupNotFound:
            pass  # dissolved by a rebuild since the link was made: the ticket alone is still a source
    draft = proposal.draft
    form = DraftForm(
        title=draft.title,
        locale=draft.locale,
        category=draft.category,
        body=draft.body,
        sources=",".join(map(str, sources)),
    )
    return await editor(
        None, form, form_action=f"/staff/tickets/{number}/article", proposal=proposal, number=number, group=group
    )


@post("/staff/tickets/{number:int}/article", opt=STAFF)
async def create_draft(
    number: FromPath[int],
    data: Annotated[DraftForm, FORM],
    viewer: NamedDependency[User],
    kb: NamedDependency[IndexSync],
) -> Response:
    ticket = await load(viewer, number)
    action = f"/staff/tickets/{number}/article"
    if data.action == "preview":
        return await editor(None, data, preview=await preview_of(data), form_action=action, number=number)
    sources = list(dict.fromkeys([ticket.id, *_ids(data.sources)]))
    try:
        article = await drafting.create_draft(kb, data.to_draft(), viewer.id, sources)
    except ArticleError as exc:
        return await editor(None, data, status=400, error=exc, form_action=action, number=number)
    return Redirect(path=f"/staff/kb/{article.id}?done=article_drafted")


@post("/staff/tickets/{number:int}/answer", opt=STAFF)
async def answer_with_article(
    number: FromPath[int],
    data: Annotated[AnswerForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    """One click: a public reply linking the article, in the customer's language."""
    ticket = await load(viewer, number)
    try:
        await answering.answer_with(settings, viewer, ticket, int(data.article) if data.article.isdigit() else 0)
    except TicketError as exc:
        return await page(await load(viewer, number), viewer=viewer, status=400, error=exc.code)
    return Redirect(path=f"/staff/tickets/{number}?done=ticket_replied")


ROUTES = [draft_page, create_draft, answer_with_article]
