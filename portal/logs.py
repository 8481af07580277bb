"""Logging set-up: JSON lines in production, readable lines in development."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

from portal.settings import Settings

# One encoder for every access line: json.dumps with an option builds a new encoder each call.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode

security_log = logging.getLogger("portal.security")
# Who is calling and on which route, set by the web layer for the request being served (the client
# address is the forwarded one only behind a trusted proxy), so a service deep down can log a
# security event without passing the request along.
REQUEST_ORIGIN: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar("request_origin", default=("", ""))


def security_event(event: str, outcome: str, *, user_id: int | None = None, **fields: Any) -> None:
    """One structured line on the `portal.security` logger: what happened, how it ended, to whom, from
    where, on which route, when. Fields are names, ids and codes, never a password, session id, token
    or link: callers pass none, and values here are cut short."""
    client, route = REQUEST_ORIGIN.get()
    entry: dict[str, Any] = {
        "event": event,
        "outcome": outcome,
        "user_id": user_id,
        "client": fields.pop("client", None) or client or None,
        "route": fields.pop("route", None) or route or None,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    entry.update({key: value if isinstance(value, int | None) else str(value)[:100] for key, value in fields.items()})
    text = " ".join(f"{key}={value}" for key, value in entry.items() if value is not None and key != "at")
    security_log.info("security %s", text, extra={"fields": entry})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if settings.log_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class AccessLines:
    """The access log: one line per request, in the same format as the other logs, written in batches.

    Through `logging`, a record's creation, formatting, lock and flush cost about as much as serving a
    cached page; here a line is a string appended to a list, and the lines reach stderr together at most
    FLUSH_AFTER_S later (or once MAX_PENDING are waiting, or when the app stops)."""

    FLUSH_AFTER_S = 0.5
    MAX_PENDING = 256

    def __init__(self, settings: Settings) -> None:
        self.json = settings.log_json
        self._pending: list[str] = []
        self._second = -1
        self._stamp = ""
        self._flush_scheduled = False

    def _time(self) -> str:
        now = int(time.time())
        if now != self._second:  # formatting the time once a second, not once a request
            self._second = now
            layout = "%Y-%m-%dT%H:%M:%S%z" if self.json else "%Y-%m-%d %H:%M:%S"
            self._stamp = time.strftime(layout, time.localtime(now))
        return self._stamp

    def write(self, message: str, fields: dict) -> None:
        if self.json:
            entry = {"time": self._time(), "level": "INFO", "logger": "portal.access", "message": message, **fields}
            line = _ENCODE(entry)
        else:
            line = f"{self._time()} INFO portal.access: {message}"
        self._pending.append(line + "\n")
        if len(self._pending) >= self.MAX_PENDING:
            self.flush()
        elif not self._flush_scheduled:
            try:
                asyncio.get_running_loop().call_later(self.FLUSH_AFTER_S, self.flush)
                self._flush_scheduled = True
            except RuntimeError:  # no event loop to flush later from: now, then
                self.flush()

    def flush(self) -> None:
        self._flush_scheduled = False
        if self._pending:
            lines, self._pending = self._pending, []
            sys.stderr.write("".join(lines))
            sys.stderr.flush()
