"""The one boundary for malformed input: text no database can store, numbers no column can hold,
JSON no parser should walk; refused with a 4xx before any handler, service or database sees it."""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from litestar import Request
from litestar.exceptions import ClientException, NotFoundException
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.web.layer import HTTPMiddleware

INT64_MAX = 2**63 - 1
MAX_JSON_DEPTH = 32
MAX_HEADER_BYTES = 32 * 1024
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_LONG_NUMBER = re.compile(r"\d{19}")  # the fewest digits a number out of range has
# NUL: PostgreSQL's text cannot hold it (SQLite can: the two would disagree). Lone surrogates: no
# UTF-8 encoding exists for them, so they cannot be stored or even written to a log line.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadInput(ClientException):
    """Input refused at the boundary; `code` names why (portal/web/messages.describe words it)."""

    def __init__(self, code: str, where: str, status_code: int = 400) -> None:
        super().__init__(detail=code, status_code=status_code)
        self.code = code
        self.where = where


def check_text(value: str, where: str) -> None:
    if _UNSTORABLE.search(value):
        raise BadInput("invalid_characters", where)
    if _INTEGER.fullmatch(value) and _out_of_range(value):
        raise BadInput("number_out_of_range", where)


def _out_of_range(digits: str) -> bool:
    digits = digits.strip().lstrip("+-").lstrip("0")
    return len(digits) > 19 or (len(digits) == 19 and int(digits) > INT64_MAX)


def _decode(raw: bytes, where: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("invalid_characters", where) from None
    check_text(text, where)
    return text


def _unquoted(raw: bytes) -> bytes:
    return unquote_to_bytes(raw) if b"%" in raw else raw  # the same bytes, without the call when nothing is escaped


def check_urlencoded(raw: bytes, where: str) -> None:
    """A query string or a form body: every name and value must be storable UTF-8 text."""
    # Most pass: checked whole at once first (no escape spans a separator, and UTF-8 decodes the same
    # in pieces split at ASCII), then name by name and value by value when anything might be wrong,
    # which refuses with what the first bad part says.
    whole = _unquoted(raw.replace(b"+", b" "))
    try:
        text = whole.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not _UNSTORABLE.search(text) and not _LONG_NUMBER.search(text):
        return
    for pair in raw.split(b"&"):
        for part in pair.split(b"=", 1):
            _decode(_unquoted(part.replace(b"+", b" ")), where)


def check_json(raw: bytes) -> None:
    try:
        document = json.loads(raw, parse_constant=_refuse_constant) if raw.strip() else None
    except (ValueError, RecursionError):  # also invalid UTF-8 and numbers of thousands of digits
        raise BadInput("invalid_json", "body") from None
    # Walked with a stack, not recursion: the depth is checked, never trusted.
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadInput("invalid_json", "body")
        if isinstance(value, str):
            check_text(value, "body")
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -INT64_MAX - 1 <= value <= INT64_MAX:
                raise BadInput("number_out_of_range", "body")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise BadInput("number_out_of_range", "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                check_text(key, "body")
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def check_multipart(raw: bytes, content_type: str) -> None:
    """The text fields of a multipart form; files are checked by their own rules (their bytes)."""
    boundary = next(
        (p.split("=", 1)[1].strip().strip('"') for p in content_type.split(";") if p.strip().startswith("boundary=")),
        "",
    )
    if not boundary:
        return  # Litestar refuses a form it cannot split
    for part in raw.split(b"--" + boundary.encode("latin-1")):
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        _decode(head, "form")
        if b"filename=" in head.lower():
            continue
        _decode(content.removesuffix(b"\r\n"), "form")


class InputGuardMiddleware(HTTPMiddleware):
    """Runs before the session is looked up and before the handler: nothing has been read or
    written when it refuses."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = scope["headers"]
        if sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES:
            raise BadInput("headers_too_large", "headers", status_code=431)
        if any(b"\x00" in v for _k, v in headers):
            raise BadInput("invalid_characters", "headers")
        check_text(scope["path"], "path")
        if raw_path := scope.get("raw_path"):
            _decode(_unquoted(raw_path), "path")
        check_urlencoded(scope.get("query_string", b""), "query")
        for value in scope.get("path_params", {}).values():
            # A number no column holds names nothing that exists.
            if isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
                raise NotFoundException()
        content_type = next((v.decode("latin-1") for k, v in headers if k == b"content-type"), "").lower()
        if scope["method"] in {"POST", "PUT", "PATCH", "DELETE"} and (
            "json" in content_type or content_type.startswith(_FORMS)
        ):
            # Read through Litestar: the route's body size limit holds (413), and the body is kept
            # in the connection's state, where the handler's own reading finds it.
            body = await Request(scope, receive).body()
            if "json" in content_type:
                check_json(body)
            elif content_type.startswith("multipart/"):
                check_multipart(body, content_type)
            else:
                check_urlencoded(body, "form")
        await next_app(scope, receive, send)
