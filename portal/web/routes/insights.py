"""Recurring questions for staff: the ranked groups, one group with its corrections, and rebuilding."""

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from auth.tables import User
from kb import articles
from kb.articles import ArticleNotFound
from kb.indexing import IndexSync
from kb.tables import Status
from portal.insights import drafting, overview, recurring
from portal.insights.recurring import GroupNotFound
from portal.tickets.visibility import id_of
from portal.web.guards import STAFF

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class TicketForm(msgspec.Struct):
    ticket: str = ""  # a ticket number, as staff read it


class MergeForm(msgspec.Struct):
    other: str = ""  # the other group's number


class CoverForm(msgspec.Struct):
    slug: str = ""


async def _detail(group_id: int) -> overview.GroupDetail:
    try:
        return await overview.detail(group_id)
    except GroupNotFound:
        raise NotFoundException() from None


async def _group_page(
    kb: IndexSync, group_id: int, *, status: int = 200, error: str | None = None, **extra
) -> Template:
    group = await _detail(group_id)
    closest = None if group.article else await overview.closest_article(kb, group.title)
    return Template(
        template_name="staff/insights_group.html",
        status_code=status,
        context={"group": group, "closest": closest, "error": error, **extra},
    )


@get("/staff/insights", opt=STAFF)
async def groups(period: FromQuery[str] = overview.DEFAULT_PERIOD, done: FromQuery[str | None] = None) -> Template:
    if period not in overview.PERIODS:
        period = overview.DEFAULT_PERIOD
    return Template(
        template_name="staff/insights.html",
        context={
            "groups": await overview.groups(period, datetime.now(UTC)),
            "period": period,
            "periods": list(overview.PERIODS),
            "run": await recurring.last_run(),
            "done": done,
        },
    )


@post("/staff/insights/rebuild", opt=STAFF)
async def rebuild(period: FromQuery[str] = overview.DEFAULT_PERIOD) -> Redirect:
    await recurring.rebuild()
    return Redirect(path=f"/staff/insights?period={period if period in overview.PERIODS else ''}&done=groups_rebuilt")


@get("/staff/insights/groups/{group_id:int}", opt=STAFF)
async def group_page(
    group_id: FromPath[int], kb: NamedDependency[IndexSync], done: FromQuery[str | None] = None
) -> Template:
    return await _group_page(kb, group_id, done=done)


@post("/staff/insights/groups/{group_id:int}/detach", opt=STAFF)
async def detach(
    group_id: FromPath[int],
    data: Annotated[TicketForm, FORM],
    viewer: NamedDependency[User],
    kb: NamedDependency[IndexSync],
) -> Response:
    number = int(data.ticket) if data.ticket.isdigit() else 0
    try:
        await recurring.detach(group_id, id_of(number), viewer.id)
    except GroupNotFound:
        if await overview.exists(group_id):
            return await _group_page(kb, group_id, status=400, error="group_ticket_unknown")
        raise NotFoundException() from None
    if not await overview.exists(group_id):
        return Redirect(path="/staff/insights?done=group_dissolved")
    return Redirect(path=f"/staff/insights/groups/{group_id}?done=ticket_detached")


@post("/staff/insights/groups/{group_id:int}/merge", opt=STAFF)
async def merge(
    group_id: FromPath[int],
    data: Annotated[MergeForm, FORM],
    viewer: NamedDependency[User],
    kb: NamedDependency[IndexSync],
) -> Response:
    other = int(data.other) if data.other.isdigit() else 0
    await _detail(group_id)
    if other == group_id or not await overview.exists(other):
        return await _group_page(kb, group_id, status=400, error="group_merge_invalid", merge_value=data.other)
    await recurring.merge(group_id, other, viewer.id)
    return Redirect(path=f"/staff/insights/groups/{group_id}?done=groups_merged")


@post("/staff/insights/groups/{group_id:int}/covered", opt=STAFF)
async def covered(
    group_id: FromPath[int], data: Annotated[CoverForm, FORM], kb: NamedDependency[IndexSync]
) -> Response:
    """Staff confirm that a published article answers the group's question: the group sinks, and its
    open tickets offer the article as the answer."""
    group = await _detail(group_id)
    try:
        article = await articles.by_slug(data.slug)
    except ArticleNotFound:
        return await _group_page(kb, group_id, status=400, error="article_not_published")
    if article.status != Status.PUBLISHED:
        return await _group_page(kb, group_id, status=400, error="article_not_published")
    await drafting.link_all(article.id, [t["id"] for t in group.tickets])
    return Redirect(path=f"/staff/insights/groups/{group_id}?done=group_covered")


@get("/staff/insights/groups/{group_id:int}/draft", opt=STAFF)
async def draft_from_group(group_id: FromPath[int], kb: NamedDependency[IndexSync]) -> Response:
    """An article from the group's best-rated resolution, linked to every ticket of the group."""
    group = await _detail(group_id)
    if group.best is None:
        return await _group_page(kb, group_id, status=400, error="group_has_no_resolution")
    number = next(t["number"] for t in group.tickets if t["id"] == group.best)
    return Redirect(path=f"/staff/tickets/{number}/article?group={group_id}")


ROUTES = [groups, rebuild, group_page, detach, merge, covered, draft_from_group]
