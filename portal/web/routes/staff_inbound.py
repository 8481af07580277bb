"""Held inbound mail, for staff: read it, accept it as a ticket of its sender, or discard it."""

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from auth.tables import User
from portal.channels import intake
from portal.settings import Settings
from portal.tickets.errors import TicketError
from portal.web.guards import STAFF


@get("/staff/inbound", opt=STAFF)
async def held_list(error: FromQuery[str | None] = None) -> Template:
    return Template(template_name="staff/inbound.html", context={"held": await intake.held(), "error": error})


@post("/staff/inbound/{held_id:int}/accept", opt=STAFF)
async def accept(
    held_id: FromPath[int], viewer: NamedDependency[User], settings: NamedDependency[Settings]
) -> Redirect:
    try:
        outcome = await intake.decide_held(settings, viewer, held_id, accept=True)
    except TicketError:
        return Redirect(path="/staff/inbound?error=1")
    return Redirect(path=f"/staff/tickets/{outcome.number}")


@post("/staff/inbound/{held_id:int}/discard", opt=STAFF)
async def discard(
    held_id: FromPath[int], viewer: NamedDependency[User], settings: NamedDependency[Settings]
) -> Redirect:
    try:
        await intake.decide_held(settings, viewer, held_id, accept=False)
    except TicketError:
        return Redirect(path="/staff/inbound?error=1")
    return Redirect(path="/staff/inbound")


ROUTES = [held_list, accept, discard]
