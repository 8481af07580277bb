"""Every failure answered once: friendly pages for people, JSON for /api/, never a traceback."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from auth.errors import AccountError, InvalidLink, NotFound, RateLimited
from kb.articles import ArticleError, ArticleNotFound
from kb.search import SearchBusy
from portal import db, i18n, logs
from portal.reports.catalog import UnknownReport
from portal.reports.period import InvalidReport, ReportNotAllowed
from portal.sla.rules import LevelNotFound, LevelRefused
from portal.tickets.errors import NotAllowed, TicketError, TicketNotFound
from portal.web.client import client_ip
from portal.web.input_guard import BadInput
from portal.web.messages import describe
from portal.web.session import request_locale

log = logging.getLogger("portal.web")
# msgspec's wording: "Object missing required field `x`", "Expected `str`, got `int` - at `$.x`".
_BODY_FIELD = re.compile(r"required field `([^`]+)`|at `\$\.([^`]+)`")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in {"/health", "/ready"}


def _page(
    request: Request, status: int, detail: str = "", headers: dict[str, str] | None = None, **extra: str
) -> Response:
    if _wants_json(request):
        return Response(
            {"status": status, "detail": detail or _reason(status), **extra},
            status_code=status,
            media_type=MediaType.JSON,
            headers=headers,
        )
    user = request.scope.get("user")
    i18n.set_locale(request_locale(user, request.cookies, request.headers.get("accept-language"), "en"))
    return Template(
        template_name="error.html", context={"status": status, "detail": detail}, status_code=status, headers=headers
    )


def _reason(status: int) -> str:
    return {
        400: "bad request",
        401: "sign-in required",
        403: "forbidden",
        404: "not found",
        405: "method not allowed",
        429: "too many requests",
        431: "request headers too large",
        503: "temporarily unavailable",
        507: "no space left",
    }.get(status, "server error")


def http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException) and not _wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path=f"/login?{urlencode({'next': target})}")
    detail, extra = "", {}
    if isinstance(exc, ValidationException):
        detail = "invalid input"
        extra = _invalid_field(exc)
    elif exc.status_code == 403 and "csrf" in str(exc.detail).lower():
        detail = "csrf"
        user = request.scope.get("user")
        # Raised outside the middleware that tells the security log who calls: say it here.
        logs.security_event(
            "csrf",
            "refused",
            user_id=user.id if user else None,
            client=client_ip(request.scope, request.app.state.settings),
            route=request.scope.get("path_template"),
            method=request.method,
        )
    headers = {"retry-after": exc.headers["retry-after"]} if exc.headers and "retry-after" in exc.headers else None
    return _page(request, exc.status_code, detail, headers, **extra)


def _invalid_field(exc: ValidationException) -> dict[str, str]:
    """What an API client needs to fix: the first field Litestar's validation named, and why."""
    problems = exc.extra if isinstance(exc.extra, list) else []
    first = next((p for p in problems if isinstance(p, dict)), None)
    if first is None:
        return {}
    reason = str(first.get("message", ""))[:300]
    field = str(first.get("key") or "")
    if field == "data":  # the body: msgspec names the member inside its message
        named = _BODY_FIELD.search(reason)
        field = named.group(1) or named.group(2) if named else ""
    return {**({"field": field} if field else {}), "reason": reason}


def bad_input(request: Request, exc: BadInput) -> Response:
    """Malformed input refused at the boundary (portal/web/input_guard): what was wrong, and where."""
    user = request.scope.get("user")
    i18n.set_locale(request_locale(user, request.cookies, request.headers.get("accept-language"), "en"))
    return _page(request, exc.status_code, describe(exc.code), where=exc.where, code=exc.code)


def account_error(request: Request, exc: AccountError) -> Response:
    if isinstance(exc, RateLimited):
        return _page(request, 429, describe("rate_limited"), {"retry-after": str(exc.retry_after)})
    if isinstance(exc, NotFound):
        return _page(request, 404)
    if isinstance(exc, InvalidLink):
        return _page(request, 400, describe("invalid_link"))
    return _page(request, 400, describe(exc.code))


def server_error(request: Request, exc: Exception) -> Response:
    if (outage := db.OUTAGE.report(exc)) is not None:
        return unavailable(request, outage)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _page(request, HTTP_500_INTERNAL_SERVER_ERROR)


def search_busy(request: Request, exc: SearchBusy) -> Response:
    """More searches at once than the CPUs can run and the queue can hold, or the index being rebuilt:
    come back shortly."""
    return _page(request, 503, describe(exc.code), {"retry-after": str(exc.retry_after)})


def unavailable(request: Request, exc: db.DatabaseUnavailable) -> Response:
    """The database is away or the disk is full: a quick, honest answer, logged once per outage."""
    db.OUTAGE.report(exc)
    user = request.scope.get("user")
    i18n.set_locale(request_locale(user, request.cookies, request.headers.get("accept-language"), "en"))
    status, code = (507, "storage_full") if exc.full else (503, "database_unavailable")
    return _page(request, status, describe(code), {"retry-after": str(exc.retry_after)})


def article_error(request: Request, exc: ArticleError) -> Response:
    if isinstance(exc, ArticleNotFound):
        return _page(request, 404)
    return _page(request, 400, describe(exc.code))


def ticket_error(request: Request, exc: TicketError) -> Response:
    """Absent and not-yours are one answer (404), so ticket numbers reveal nothing."""
    status = 404 if isinstance(exc, TicketNotFound) else 403 if isinstance(exc, NotAllowed) else 400
    if isinstance(exc, NotAllowed):
        user = request.scope.get("user")
        logs.security_event("ticket_action", "refused", user_id=user.id if user else None, code=exc.code)
    if _wants_json(request):
        extra = {"code": exc.code, **({"field": exc.field} if exc.field else {})}
        return _page(request, status, describe(exc.code) if status == 400 else "", **extra)
    return _page(request, status, describe(exc.code) if status == 400 else "")


def level_error(request: Request, exc: LevelNotFound | LevelRefused) -> Response:
    """Service-level editing: an unknown plan, calendar or holiday is a 404; a refusal names its reason."""
    if isinstance(exc, LevelNotFound):
        return _page(request, 404)
    return _page(request, 400, describe(exc.code))


def report_error(request: Request, exc: InvalidReport | UnknownReport) -> Response:
    """A report that is not there, or not for this viewer, is not found; a bad period or filter is 400."""
    if isinstance(exc, UnknownReport | ReportNotAllowed):
        return _page(request, 404)
    return _page(request, 400, describe(exc.code), code=exc.code, field=exc.field)


HANDLERS = {
    db.DatabaseUnavailable: unavailable,
    BadInput: bad_input,
    HTTPException: http_error,
    AccountError: account_error,
    ArticleError: article_error,
    TicketError: ticket_error,
    LevelNotFound: level_error,
    LevelRefused: level_error,
    SearchBusy: search_busy,
    InvalidReport: report_error,
    UnknownReport: report_error,
    Exception: server_error,
}
