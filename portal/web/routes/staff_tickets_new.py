"""Staff file a ticket for a customer: find the customer, then the customer's form with the channel."""

from __future__ import annotations

from dataclasses import replace

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from auth.tables import User
from portal import i18n
from portal.channels import for_customer
from portal.settings import Settings
from portal.sla.policy import RANK
from portal.tickets import self_service, types, visibility
from portal.tickets.errors import TicketError
from portal.web.guards import STAFF
from portal.web.routes.tickets import fields_of
from portal.web.routes.tickets_forms import TicketForm, form_context, new_form_key, read, with_files


async def _page(
    settings: Settings,
    form: TicketForm,
    *,
    q: str = "",
    requester: User | None = None,
    channel: str = "phone",
    status: int = 200,
    error: TicketError | None = None,
) -> Template:
    locale = i18n.current_locale()
    kinds = [{"slug": t["slug"], "name": self_service.localized(t, "name", locale)} for t in await types.active_types()]
    form = form if form.type or not kinds else form.with_type(kinds[0]["slug"])
    context = {
        "q": q,
        "matches": await for_customer.find_customers(q) if q and requester is None else [],
        "requester": requester,
        "organization": await for_customer.organization_name(requester) if requester else "",
        "channel": channel,
        "channels": for_customer.STAFF_CHANNELS,
        "form": form,
        "types": kinds,
        "priorities": list(RANK),
        "fields": await fields_of(form.type),
        **form_context(settings, error),
    }
    return Template(template_name="staff/ticket_new.html", status_code=status, context=context)


@get("/staff/tickets/new", opt=STAFF)
async def new_for_customer(
    settings: NamedDependency[Settings], q: FromQuery[str] = "", requester: FromQuery[int | None] = None
) -> Template:
    """The customer search; with a chosen customer, the form."""
    form = TicketForm(form_key=new_form_key())
    if requester is None:
        return await _page(settings, form, q=q)
    try:
        customer = await for_customer.customer(user_id=requester)
    except TicketError as exc:
        return await _page(settings, form, q=q, status=400, error=exc)
    return await _page(settings, form, requester=customer)


async def file_for_customer(
    request: Request, viewer: NamedDependency[User], settings: NamedDependency[Settings]
) -> Response:
    data, files = await read(request)
    form = TicketForm.of(data)
    channel = data.get("channel", "")
    channel = channel if isinstance(channel, str) else ""
    raw_requester = data.get("requester", "")
    try:
        customer = await for_customer.customer(user_id=int(raw_requester) if str(raw_requester).isdigit() else 0)
    except TicketError as exc:
        return await _page(settings, form, channel=channel, status=400, error=exc)
    if form.action == "fields":
        return await _page(settings, form, requester=customer, channel=channel)
    try:
        draft = replace(form.draft(), channel=channel)
        ticket = await for_customer.file_for(settings, viewer, customer, draft, files)
    except TicketError as exc:
        return await _page(settings, form, requester=customer, channel=channel, status=400, error=exc)
    return Redirect(path=f"/staff/tickets/{visibility.number_of(ticket.id)}?done=ticket_filed_for_customer")


def routes(settings: Settings) -> list:
    return [new_for_customer, post("/staff/tickets/new", **with_files(settings, STAFF))(file_for_customer)]
