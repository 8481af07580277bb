"""The one wiring point: create_app(settings) builds the whole site."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from kb.activity import ReaderActivity
from kb.indexing import IndexSync, index_at
from portal import db, logs
from portal.jobs import passes
from portal.settings import Settings
from portal.web import errors
from portal.web.access_log import AccessLogMiddleware
from portal.web.api_auth import ApiTokenMiddleware
from portal.web.client import OriginMiddleware
from portal.web.csrf import Csrf, CsrfMiddleware
from portal.web.deps import dependencies, resolve_in_order
from portal.web.guards import PUBLIC, access_guard, guards_see_the_handler
from portal.web.input_guard import InputGuardMiddleware
from portal.web.limits import Limits, RateLimitMiddleware
from portal.web.page_cache import PageCacheMiddleware
from portal.web.routes import (
    account,
    admin,
    api_reports,
    api_tickets,
    api_workspace,
    health,
    home,
    insights,
    kb_api,
    kb_pages,
    kb_staff,
    oidc,
    profile,
    staff_canned,
    staff_escalations,
    staff_inbound,
    staff_queue,
    staff_reports,
    staff_ticket_articles,
    staff_ticket_replies,
    staff_tickets,
    staff_tickets_new,
    tickets,
)
from portal.web.security_headers import HostCheckMiddleware, security_headers
from portal.web.session import SessionMiddleware
from portal.web.templating import template_config
from portal.web.viewer_cache import ViewerCacheMiddleware

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("portal.web")


def openapi_config() -> OpenAPIConfig:
    """The API's schema at /schema (JSON); its routes are public like any docs."""
    return OpenAPIConfig(
        title="Support portal API",
        version="1",
        description="Send a personal API token (created on your profile page) as `Authorization: Bearer <token>`.",
        components=Components(
            security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", description="pt_…")}
        ),
        # JSON only: Swagger UI needs inline script and a CDN, which the Content-Security-Policy refuses.
        render_plugins=[JsonRenderPlugin()],
        # The app-wide access guard refuses routes without an access rule: the schema's router gives one.
        openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC, include_in_schema=False),
    )


def create_app(settings: Settings) -> Litestar:
    engine = db.engine_for(settings.database_url)
    kb = IndexSync(index_at(settings.data_dir), warm=True)
    activity = ReaderActivity()
    access_lines = logs.AccessLines(settings)
    limits = Limits(settings)
    csrf = Csrf(
        CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            cookie_httponly=True,
        )
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        db.bind(engine)
        await db.prepare(engine)
        if settings.database_pool:
            await db.open_pool(engine)
        try:
            await kb.ensure_fresh()
        except Exception:
            # Not fatal: the process must come up to answer /ready (503 says why); the index is
            # derived data that the background pass or the first search rebuilds once it can.
            log.exception("the search index could not be checked at start-up")
        # What start-up loaded (modules, the search index's decoded postings, texts and vectors) lives as
        # long as the app: frozen out of the collector's sight, its full passes no longer walk it.
        gc.freeze()
        jobs = asyncio.create_task(passes.run(settings, kb, activity)) if settings.background_jobs else None
        try:
            yield
        finally:
            if jobs is not None:
                jobs.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await jobs
            await activity.flush()
            access_lines.flush()
            await kb.stop_healing()
            kb.index.close()
            await db.close_pool(engine)
            gc.unfreeze()  # an app that stops (a test's) leaves its garbage to the collector

    logs.configure(settings)
    resolve_in_order()
    guards_see_the_handler()
    app = Litestar(
        route_handlers=[
            *home.ROUTES,
            *account.ROUTES,
            *profile.ROUTES,
            *admin.ROUTES,
            *health.ROUTES,
            *oidc.ROUTES,
            *kb_pages.ROUTES,
            # The JSON API is what the OpenAPI schema documents; pages are left out of it (below).
            Router(
                path="/",
                route_handlers=[*kb_api.ROUTES, *api_tickets.ROUTES, *api_reports.ROUTES, *api_workspace.ROUTES],
                include_in_schema=True,
            ),
            *kb_staff.ROUTES,
            *staff_tickets.ROUTES,
            *staff_tickets_new.routes(settings),
            *staff_queue.ROUTES,
            *staff_escalations.ROUTES,
            *staff_ticket_articles.ROUTES,
            *staff_ticket_replies.routes(settings),
            *staff_canned.ROUTES,
            *staff_inbound.ROUTES,
            *insights.ROUTES,
            *staff_reports.ROUTES,
            *tickets.routes(settings),
            create_static_files_router(
                path="/static", directories=[STATIC], opt=PUBLIC, name="static", include_in_schema=False
            ),
        ],
        lifespan=[lifespan],
        dependencies=dependencies(settings, kb, activity),
        state=State({"settings": settings, "kb": kb, "activity": activity}),
        guards=[access_guard],
        middleware=[
            AccessLogMiddleware(access_lines),
            HostCheckMiddleware(settings),
            OriginMiddleware(settings),
            InputGuardMiddleware(),
            PageCacheMiddleware(settings, kb, csrf, limits),
            SessionMiddleware(settings),
            ApiTokenMiddleware(settings),
            RateLimitMiddleware(limits),
            ViewerCacheMiddleware(csrf),
            # Last, where Litestar's own (csrf_config) would sit: just before the handler.
            CsrfMiddleware(csrf),
        ],
        template_config=template_config(settings),
        # Logging is portal.logs.configure's (JSON in production); Litestar's default would replace it.
        logging_config=None,
        exception_handlers=errors.HANDLERS,
        before_send=[security_headers(settings)],
        openapi_config=openapi_config(),
        include_in_schema=False,
        debug=False,
    )
    # The middleware (portal.web.layer) assumes HTTP: a websocket or mounted app would need it to check.
    if any(not isinstance(route, HTTPRoute) for route in app.routes):
        raise TypeError("only HTTP routes are served through the portal's middleware")
    return app
