"""The customer's tickets: the form (with the articles that may answer first), filing, and My tickets."""

from __future__ import annotations

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from auth.tables import User
from kb import articles
from kb.activity import ReaderActivity
from kb.indexing import IndexSync
from kb.markdown import render
from portal import i18n
from portal.settings import Settings
from portal.tickets import deflection, self_service, types, uploads, visibility
from portal.tickets.attachments import MAX_FILES
from portal.tickets.errors import TicketError
from portal.web.guards import SIGNED_IN
from portal.web.routes import fresh, rating, tickets_page
from portal.web.routes.tickets_forms import TicketForm, form_context, new_form_key, read, with_files


async def fields_of(slug: str) -> list[dict]:
    """The type's custom fields with their labels in the reader's language (every ticket form shows these)."""
    locale = i18n.current_locale()
    return [{**f, "label": self_service.localized(f, "label", locale)} for f in await types.fields_of(slug)]


async def _article_title(slug: str) -> str:
    try:
        return (await articles.by_slug(slug)).title if slug else ""
    except articles.ArticleNotFound:
        return ""


async def _form_page(
    viewer: User,
    settings: Settings,
    form: TicketForm,
    *,
    status: int = 200,
    error: TicketError | None = None,
    preview: str | None = None,
    files_dropped: bool = False,
) -> Template:
    locale = i18n.current_locale()
    kinds = [{"slug": t["slug"], "name": self_service.localized(t, "name", locale)} for t in await types.active_types()]
    form = form if form.type or not kinds else form.with_type(kinds[0]["slug"])
    context = {
        "form": form,
        "types": kinds,
        "priorities": await self_service.priorities_for(viewer),
        "fields": await fields_of(form.type),
        "article_title": await _article_title(form.article),
        "preview": preview,
        "files_dropped": files_dropped,
        **form_context(settings, error),
    }
    return Template(template_name="tickets/new.html", status_code=status, context=context)


@get("/tickets/new", opt=SIGNED_IN)
async def new_ticket(
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
    q: FromQuery[str] = "",
    article: FromQuery[str] = "",
    related: FromQuery[str] = "",
    type: FromQuery[str] = "",
) -> Template:
    form = TicketForm(form_key=new_form_key(), subject=q[:200], article=article[:200], related=related[:12], type=type)
    return await _form_page(viewer, settings, form)


@get("/tickets/new/fields", opt=SIGNED_IN)
async def type_fields(type: FromQuery[str] = "") -> Template:
    """The fields of one type, for the form's script to swap in when the type changes."""
    context = {"fields": await fields_of(type), "form": TicketForm()}
    return Template(template_name="tickets/_fields.html", context=context)


async def create(
    request: Request,
    viewer: NamedDependency[User],
    settings: NamedDependency[Settings],
    kb: NamedDependency[IndexSync],
    activity: NamedDependency[ReaderActivity],
) -> Response:
    data, files = await read(request)
    form = TicketForm.of(data)
    if form.action in ("fields", "preview"):
        preview = await anyio.to_thread.run_sync(render, form.description) if form.action == "preview" else None
        return await _form_page(viewer, settings, form, preview=preview and preview.html, files_dropped=bool(files))
    try:
        if form.action != "file" and (step := await _articles_first(viewer, settings, kb, activity, form, files)):
            return step
        ticket = await uploads.file_ticket(settings, viewer, form.draft(), files, form.origin())
    except TicketError as exc:
        return await _form_page(viewer, settings, form, status=400, error=exc, files_dropped=bool(files))
    return Redirect(path=f"/tickets/{visibility.number_of(ticket.id)}?done=ticket_filed")


async def _articles_first(
    viewer: User, settings: Settings, kb: IndexSync, activity: ReaderActivity, form: TicketForm, files: list
) -> Template | None:
    """The articles that may answer the form before it is filed; None: file it at once."""
    locale = i18n.current_locale()
    hits = await deflection.before_filing(settings, kb, activity, viewer, form.draft(), files, locale)
    if not hits:
        return None
    context = {"form": form, "hits": hits, "files_dropped": bool(files), "max_files": MAX_FILES}
    return Template(template_name="tickets/deflect.html", context=context)


@get("/tickets", opt={**SIGNED_IN, **fresh.TICKET_LIST})
async def my_tickets(
    viewer: NamedDependency[User],
    tab: FromQuery[str] = "mine",
    status: FromQuery[str] = "",
    type: FromQuery[str] = "",
    q: FromQuery[str] = "",
    page: FromQuery[int] = 1,
    done: FromQuery[str | None] = None,
) -> Template:
    filters = self_service.Filters(tab, status, type, q, page)
    found = await self_service.my_tickets(viewer, filters)
    context = {"list": found, "filters": filters, "type_names": await self_service.type_names(i18n.current_locale())}
    return Template(template_name="tickets/list.html", context={**context, "done": done})


def routes(settings: Settings) -> list:
    """The customer's ticket routes (those taking files: see tickets_forms.with_files)."""
    files = with_files(settings, SIGNED_IN)
    return [
        new_ticket,
        type_fields,
        my_tickets,
        post("/tickets", name="tickets:create", **files)(create),
        post("/tickets/{number:int}/messages", name="tickets:reply", **files)(tickets_page.add_message),
        *tickets_page.ROUTES,
        *rating.ROUTES,
    ]
