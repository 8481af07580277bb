"""Canned replies for staff: the list, adding, editing and deleting (owners their own, admins any)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from auth.tables import User
from portal.tickets import canned
from portal.tickets.errors import TicketError
from portal.web.guards import STAFF

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
HERE = "/staff/canned-replies"


class CannedForm(msgspec.Struct):
    title: str = ""
    body: str = ""
    locale: str = "en"
    shared: str = ""  # "1": for everyone (administrators only)

    def draft(self) -> canned.Draft:
        return canned.Draft(self.title, self.body, self.locale, self.shared == "1")


async def _list(viewer: User, status: int = 200, **context: object) -> Template:
    context = {"form": CannedForm(), "placeholders": canned.PLACEHOLDERS, **context}
    replies = await canned.visible_to(viewer)
    return Template(
        template_name="staff/canned_replies.html",
        status_code=status,
        context={"replies": [{**r, "editable": canned.may_edit(viewer, r)} for r in replies], **context},
    )


def _edit(reply_id: int, form: CannedForm, status: int = 200, **context: object) -> Template:
    context = {"reply_id": reply_id, "form": form, "placeholders": canned.PLACEHOLDERS, **context}
    return Template(template_name="staff/canned_reply.html", status_code=status, context=context)


def _error(exc: TicketError) -> dict[str, object]:
    return {"error": exc.code, "invalid": exc.field, "unknown": getattr(exc, "names", [])}


@get(HERE, opt=STAFF)
async def list_page(viewer: NamedDependency[User], done: FromQuery[str | None] = None) -> Template:
    return await _list(viewer, done=done)


@post(HERE, opt=STAFF)
async def create(data: Annotated[CannedForm, FORM], viewer: NamedDependency[User]) -> Response:
    try:
        await canned.create(viewer, data.draft())
    except TicketError as exc:
        return await _list(viewer, status=400, form=data, **_error(exc))
    return Redirect(path=f"{HERE}?done=canned_created")


@get(HERE + "/{reply_id:int}", opt=STAFF)
async def edit_page(reply_id: FromPath[int], viewer: NamedDependency[User]) -> Template:
    reply = await canned.editable(viewer, reply_id)
    form = CannedForm(reply.title, reply.body, reply.locale, "" if reply.owner else "1")
    return _edit(reply_id, form)


@post(HERE + "/{reply_id:int}", opt=STAFF)
async def save(reply_id: FromPath[int], data: Annotated[CannedForm, FORM], viewer: NamedDependency[User]) -> Response:
    try:
        await canned.update(viewer, reply_id, data.draft())
    except TicketError as exc:
        if exc.code in ("ticket_not_found", "canned_not_yours"):
            raise
        return _edit(reply_id, data, status=400, **_error(exc))
    return Redirect(path=f"{HERE}?done=canned_saved")


@post(HERE + "/{reply_id:int}/delete", opt=STAFF)
async def delete(reply_id: FromPath[int], viewer: NamedDependency[User]) -> Redirect:
    await canned.delete(viewer, reply_id)
    return Redirect(path=f"{HERE}?done=canned_deleted")


ROUTES = [list_page, create, edit_page, save, delete]
