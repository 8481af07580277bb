"""Staff work on one ticket: replies and internal notes with files and canned replies, followers, and
changing what was filed (type, custom fields, organization)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect

from auth.tables import User
from portal.settings import Settings
from portal.tickets import canned, changes, followers, uploads
from portal.tickets.attachments import MAX_FILES
from portal.tickets.errors import TicketError
from portal.tickets.workflow import InvalidTransition
from portal.web.guards import STAFF
from portal.web.routes.staff_tickets import THEN, ReplyForm, load, page
from portal.web.routes.tickets_forms import read

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
MB = 1024 * 1024


class FollowerForm(msgspec.Struct):
    user: str = ""  # an id or an email
    role: str = followers.CO_EXECUTOR


class TypeForm(msgspec.Struct):
    type: str = ""


class OrganizationForm(msgspec.Struct):
    organization: str = ""  # an organization's id, or "none"


async def _refused(viewer: User, number: int, exc: TicketError, **context: object) -> Response:
    return await page(
        await load(viewer, number),
        viewer=viewer,
        status=400,
        error=exc.code,
        error_file=getattr(exc, "filename", ""),
        invalid=exc.field,
        **context,
    )


async def add_message(
    number: FromPath[int], request: Request, viewer: NamedDependency[User], settings: NamedDependency[Settings]
) -> Response:
    ticket = await load(viewer, number)
    form, files = await read(request)
    data = ReplyForm.of(form)
    try:
        if data.action == "insert":
            reply_id = int(data.canned) if data.canned.isdigit() else 0
            body = await canned.insert(viewer, ticket, reply_id, data.body)
            filled = msgspec.structs.replace(data, body=body)
            return await page(ticket, viewer=viewer, reply=filled, files_dropped=bool(files))
        if data.then not in THEN:
            raise TicketError("ticket_transition_invalid", "then")
        internal = data.visibility == "internal"
        await uploads.reply(settings, viewer, ticket, data.body, files, internal=internal, then=THEN[data.then])
    except InvalidTransition:
        return await _refused(viewer, number, TicketError("ticket_transition_invalid", "then"), reply=data)
    except TicketError as exc:
        return await _refused(viewer, number, exc, reply=data, files_dropped=bool(files))
    return Redirect(path=f"/staff/tickets/{number}?done={'ticket_note_added' if internal else 'ticket_replied'}")


@post("/staff/tickets/{number:int}/followers", opt=STAFF)
async def add_follower(
    number: FromPath[int], data: Annotated[FollowerForm, FORM], viewer: NamedDependency[User]
) -> Response:
    try:
        await followers.add(viewer, await load(viewer, number), data.user, data.role)
    except TicketError as exc:
        return await _refused(viewer, number, exc)
    return Redirect(path=f"/staff/tickets/{number}?done=follower_added")


@post("/staff/tickets/{number:int}/followers/remove", opt=STAFF)
async def remove_follower(
    number: FromPath[int], data: Annotated[FollowerForm, FORM], viewer: NamedDependency[User]
) -> Response:
    try:
        await followers.remove(viewer, await load(viewer, number), data.user)
    except TicketError as exc:
        return await _refused(viewer, number, exc)
    return Redirect(path=f"/staff/tickets/{number}?done=follower_removed")


@post("/staff/tickets/{number:int}/type", opt=STAFF)
async def change_type(
    number: FromPath[int],
    data: Annotated[TypeForm, FORM],
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Response:
    try:
        await changes.change_type(settings, viewer, await load(viewer, number), data.type)
    except TicketError as exc:
        return await _refused(viewer, number, exc)
    return Redirect(path=f"/staff/tickets/{number}?done=ticket_type_changed")


@post("/staff/tickets/{number:int}/fields", opt=STAFF)
async def change_fields(number: FromPath[int], request: Request, viewer: NamedDependency[User]) -> Response:
    form = await request.form()
    answers = {key[len("field_") :]: value for key, value in form.items() if key.startswith("field_")}
    try:
        await changes.change_fields(viewer, await load(viewer, number), {k: str(v) for k, v in answers.items()})
    except TicketError as exc:
        return await _refused(viewer, number, exc, answers=answers)
    return Redirect(path=f"/staff/tickets/{number}?done=ticket_fields_changed")


@post("/staff/tickets/{number:int}/organization", opt=STAFF)
async def change_organization(
    number: FromPath[int], data: Annotated[OrganizationForm, FORM], viewer: NamedDependency[User]
) -> Response:
    chosen = int(data.organization) if data.organization.isdigit() else None
    try:
        await changes.change_organization(viewer, await load(viewer, number), chosen)
    except TicketError as exc:
        return await _refused(viewer, number, exc)
    return Redirect(path=f"/staff/tickets/{number}?done=ticket_organization_changed")


def routes(settings: Settings) -> list:
    """The reply carries files: its form may be as large as they allow (see tickets.routes)."""
    with_files = {"opt": STAFF, "request_max_body_size": MAX_FILES * settings.attachment_max_bytes + MB}
    return [
        post("/staff/tickets/{number:int}/messages", **with_files)(add_message),
        add_follower,
        remove_follower,
        change_type,
        change_fields,
        change_organization,
    ]
