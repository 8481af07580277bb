"""Reading the local Maildir the embedded default delivers into (`portal mail list|show`)."""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Letter:
    number: int
    to: str
    subject: str
    date: str
    message: EmailMessage


def letters(maildir: Path) -> list[Letter]:
    """Every delivered message, oldest first, numbered from 1."""
    if not maildir.exists():
        return []
    box = mailbox.Maildir(maildir, create=False)
    delivered = sorted((box.get_message(key).get_date(), key) for key in box.iterkeys())
    parsed = []
    for _date, key in delivered:
        with box.get_file(key) as handle:
            parsed.append(BytesParser(policy=policy.default).parse(handle))
    return [
        Letter(number=i, to=str(m["To"]), subject=str(m["Subject"]), date=str(m["Date"]), message=m)
        for i, m in enumerate(parsed, start=1)
    ]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    return body.get_content() if body is not None else ""
