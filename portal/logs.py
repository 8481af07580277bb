"""Logging: JSON lines in production, and one access line per request with no secret in it."""

from __future__ import annotations

import json
import logging
import sys
import time

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.settings import Settings

access_log = logging.getLogger("portal.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_json
                         else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class AccessLogMiddleware(ASGIMiddleware):
    """Logs the route template, not the raw path or query, so links' secrets never reach the log."""

    scopes = (ScopeType.HTTP,)

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
        finally:
            user = scope.get("user")
            fields = {"method": scope["method"], "route": scope.get("path_template") or "?", "status": status,
                      "ms": round((time.perf_counter() - started) * 1000, 1),
                      "user": user.id if user is not None else None}
            access_log.info("%(method)s %(route)s %(status)s %(ms)sms", fields, extra={"fields": fields})
