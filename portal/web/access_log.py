"""One access-log line per request, with the route template and never a secret."""

from __future__ import annotations

import time

from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.logs import AccessLines
from portal.web.layer import HTTPMiddleware


class AccessLogMiddleware(HTTPMiddleware):
    """Logs the route template, not the raw path or query, so links' secrets never reach the log."""

    def __init__(self, lines: AccessLines) -> None:
        self.lines = lines

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        status = 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, recording)
        except HTTPException as exc:
            # Raised by a middleware below this one (CSRF, input checks) and answered further out:
            # the client gets exc's status, and so does the log line, not a 500.
            status = exc.status_code
            raise
        finally:
            user = scope.get("user")
            fields = {
                "method": scope["method"],
                "route": scope.get("path_template") or "?",
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user": user.id if user is not None else None,
            }
            self.lines.write(f"{fields['method']} {fields['route']} {status} {fields['ms']}ms", fields)
