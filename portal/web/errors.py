"""Every failure answered once: friendly pages for people, JSON for /api/, never a traceback."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from auth.errors import AccountError, InvalidLink, NotFound, RateLimited
from kb.articles import ArticleError, ArticleNotFound
from portal import i18n
from portal.web.messages import describe
from portal.web.session import request_locale

log = logging.getLogger("portal.web")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in {"/health", "/ready"}


def _page(request: Request, status: int, detail: str = "", headers: dict[str, str] | None = None) -> Response:
    if _wants_json(request):
        return Response(
            {"status": status, "detail": detail or _reason(status)},
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
    }.get(status, "server error")


def http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException) and not _wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path=f"/login?{urlencode({'next': target})}")
    detail = ""
    if isinstance(exc, ValidationException):
        detail = "invalid input"
    elif exc.status_code == 403 and "csrf" in str(exc.detail).lower():
        detail = "csrf"
    headers = {"retry-after": exc.headers["retry-after"]} if exc.headers and "retry-after" in exc.headers else None
    return _page(request, exc.status_code, detail, headers)


def account_error(request: Request, exc: AccountError) -> Response:
    if isinstance(exc, RateLimited):
        return _page(request, 429, describe("rate_limited"), {"retry-after": str(exc.retry_after)})
    if isinstance(exc, NotFound):
        return _page(request, 404)
    if isinstance(exc, InvalidLink):
        return _page(request, 400, describe("invalid_link"))
    return _page(request, 400, describe(exc.code))


def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _page(request, HTTP_500_INTERNAL_SERVER_ERROR)


def article_error(request: Request, exc: ArticleError) -> Response:
    if isinstance(exc, ArticleNotFound):
        return _page(request, 404)
    return _page(request, 400, describe(exc.code))


HANDLERS = {HTTPException: http_error, AccountError: account_error, ArticleError: article_error,
            Exception: server_error}
