"""One ticket's page for its customer: the public timeline, replying with files, closing, rating, downloads."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import File, Redirect, Template

from auth.tables import User
from portal import i18n
from portal.settings import Settings
from portal.tickets import attachments, conversation, public_view, uploads, visibility
from portal.tickets.attachments import INLINE_TYPES
from portal.tickets.errors import TicketError, TicketNotFound
from portal.web.guards import SIGNED_IN
from portal.web.routes import fresh
from portal.web.routes.tickets_forms import form_context, read

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
# A stored file is served as data, never as a page of this site: no sniffing, no scripts, no plugins.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private",
}


class RatingForm(msgspec.Struct):
    score: str = ""
    comment: str = ""


async def _page(
    viewer: User,
    settings: Settings,
    number: int,
    *,
    status: int = 200,
    error: TicketError | None = None,
    reply: str = "",
    done: str | None = None,
) -> Template:
    view = await public_view.ticket_page(viewer, number, i18n.current_locale())
    context = {
        "view": view,
        "ticket": view.ticket,
        "done": done,
        "reply": reply,
        **form_context(settings, error),
    }
    return Template(template_name="tickets/show.html", status_code=status, context=context)


@get("/tickets/{number:int}", opt={**SIGNED_IN, **fresh.TICKET})
async def ticket_page(
    number: FromPath[int],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
    done: FromQuery[str | None] = None,
) -> Template:
    return await _page(viewer, settings, number, done=done)


async def add_message(
    number: FromPath[int], request: Request, viewer: NamedDependency[User], settings: NamedDependency[Settings]
) -> Response:
    ticket = await visibility.get_for(viewer, number)
    data, files = await read(request)
    body = data.get("body", "")
    try:
        await uploads.reply(settings, viewer, ticket, body if isinstance(body, str) else "", files)
    except TicketError as exc:
        return await _page(viewer, settings, number, status=400, error=exc, reply=str(body))
    return Redirect(path=f"/tickets/{number}?done=reply_added#latest")


@post("/tickets/{number:int}/close", opt=SIGNED_IN)
async def close(number: FromPath[int], viewer: NamedDependency[User], settings: NamedDependency[Settings]) -> Redirect:
    ticket = await visibility.get_for(viewer, number)
    await conversation.close_by_customer(settings, viewer, ticket)
    return Redirect(path=f"/tickets/{number}?done=ticket_closed_by_customer")


@post("/tickets/{number:int}/rating", opt=SIGNED_IN)
async def rate(
    number: FromPath[int],
    data: Annotated[RatingForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    ticket = await visibility.get_for(viewer, number)
    try:
        await public_view.rate_on_page(viewer, ticket, data.score, data.comment)
    except TicketError as exc:
        return await _page(viewer, settings, number, status=400, error=exc)
    return Redirect(path=f"/tickets/{number}#rating")  # the page says the rating is recorded: one confirmation


@get("/tickets/{number:int}/files/{attachment_id:int}", opt=SIGNED_IN)
async def download(
    number: FromPath[int],
    attachment_id: FromPath[int],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> File:
    ticket = await visibility.get_for(viewer, number)
    found = await attachments.file_of(viewer, ticket.id, attachment_id)
    path = attachments.path_of(settings.data_dir, found.sha256)
    if not path.is_file():
        raise TicketNotFound()
    return File(
        path=path,
        filename=found.filename,
        media_type=found.content_type,
        content_disposition_type="inline" if found.content_type in INLINE_TYPES else "attachment",
        headers=FILE_HEADERS,
    )


# add_message is routed with the larger body limit of forms that carry files (see tickets.routes).
ROUTES = [ticket_page, close, rate, download]
