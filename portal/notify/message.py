"""An outbox row as the bytes its recipient gets: the headers, a text part and an HTML alternative, UTF-8.

Written out directly rather than through the standard library's EmailMessage, whose header registry
parsed and refolded every header and part on the way in and again on the way out: half of the
sender's time a mail. What a mail client reads is the same: every header (non-ASCII ones encoded as
RFC 2047 words, folded), the same parts and charset. A body whose lines are ASCII and short travels
as it is, any other in base64, as the standard library sent long lines; it sent short non-ASCII lines
as 8-bit text, which a server without 8BITMIME may refuse, and base64 suits every server.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from typing import Protocol

_LINE = 78  # the longest header or body line left as it is (RFC 5322's recommendation)


class Row(Protocol):
    id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str
    created_at: datetime
    message_id: str
    thread_root: str


@dataclass(frozen=True, slots=True)
class Mail:
    """A message ready to leave: the envelope's addresses and the message itself."""

    sender: str
    recipient: str
    data: bytes


@lru_cache(maxsize=8)
def _sender(sender: str) -> tuple[str, str, str]:
    """(envelope address, From header value, Message-ID domain) of the configured sender, worked out once."""
    name, address = parseaddr(sender)
    return address, formataddr((name, address), charset="utf-8"), address.rpartition("@")[2] or "portal"


def _header(name: str, value: str) -> str:
    # Values are one line when queued (portal.notify.render.one_line); a line break that got past that
    # would start a header of its own.
    value = value.replace("\r", " ").replace("\n", " ")
    if not value.isascii() or "=?" in value:
        # Text that merely looks like an encoded word is encoded too, so that no client decodes it.
        return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=chr(10))}\n"
    # Folded at its own spaces only: a reader unfolding it gets the value back as it was.
    lines, line = [], f"{name}:"
    for word in value.split(" "):
        if word and len(line) + 1 + len(word) > _LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += f" {word}"
    return "\n".join([*lines, line]) + "\n"


def _part(subtype: str, text: str) -> tuple[str, bytes]:
    """A text part's own headers and its encoded body."""
    lines = text.encode().splitlines()
    body = b"\n".join(lines) + b"\n"
    if body.isascii() and all(len(line) <= _LINE for line in lines):
        encoding = "7bit"
    else:
        encoding, body = "base64", base64.encodebytes(body)
    return f'Content-Type: text/{subtype}; charset="utf-8"\nContent-Transfer-Encoding: {encoding}\n', body


def build_message(row: Row, sender: str) -> Mail:
    envelope_from, from_header, domain = _sender(sender)
    # The same id on every attempt: a retry after a lost answer is recognised as the same message.
    message_id = row.message_id or f"<outbox-{row.id}@{domain}>"
    head = [
        f"From: {from_header}\n",
        _header("To", row.to_address),
        _header("Subject", row.subject),
        f"Date: {format_datetime(row.created_at)}\n",
        _header("Message-ID", message_id),
    ]
    if row.thread_root:
        head += [_header("In-Reply-To", row.thread_root), _header("References", row.thread_root)]
    # Vacation responders and other robots answer none of our mail: no loops.
    head += ["Auto-Submitted: auto-generated\n", "X-Auto-Response-Suppress: All\n", "MIME-Version: 1.0\n"]
    text_head, text = _part("plain", row.body_text)
    if not row.body_html:
        data = "".join([*head, text_head, "\n"]).encode() + text
        return Mail(envelope_from, row.to_address, data)
    html_head, html = _part("html", row.body_html)
    boundary = f"=_{secrets.token_hex(16)}"  # random: no body holds it by chance; base64 never holds "_"
    head.append(f'Content-Type: multipart/alternative;\n boundary="{boundary}"\n\n')
    data = b"".join(
        [
            "".join(head).encode(),
            f"--{boundary}\n{text_head}\n".encode(),
            text,
            f"\n--{boundary}\n{html_head}\n".encode(),
            html,
            f"\n--{boundary}--\n".encode(),
        ]
    )
    return Mail(envelope_from, row.to_address, data)
