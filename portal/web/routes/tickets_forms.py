"""The customer's ticket forms as they arrive: multipart posts with the type's own fields and files."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace

from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile

from portal.settings import MB, Settings
from portal.tickets.attachments import MAX_FILES, Incoming
from portal.tickets.deflection import FORM_KEY
from portal.tickets.errors import TicketError
from portal.tickets.filing import NewTicket
from portal.tickets.uploads import Origin
from portal.tickets.visibility import NUMBER_BASE

FIELD_PREFIX = "field_"


def form_context(settings: Settings, error: TicketError | None) -> dict[str, object]:
    """What every ticket form shows: the error (its field, the file it concerns) and the upload limits."""
    return {
        "error": error.code if error else None,
        "error_field": error.field if error else "",
        "error_file": getattr(error, "filename", ""),
        "max_files": MAX_FILES,
        "max_mb": settings.attachment_max_bytes // MB,
    }


def with_files(settings: Settings, opt: dict) -> dict[str, object]:
    """Route options for a form carrying files: it may be as large as its files allow (the site-wide
    limit is lower), so that a file over its own limit gets a clear message, not a bare 413."""
    return {"opt": opt, "request_max_body_size": MAX_FILES * settings.attachment_max_bytes + MB}


def new_form_key() -> str:
    """A key made when the form is shown: sending the same form twice files one ticket."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class TicketForm:
    form_key: str = ""
    type: str = ""
    priority: str = "normal"
    subject: str = ""
    description: str = ""
    article: str = ""  # the article read before ("Still need help?"), kept for staff
    related: str = ""  # an earlier ticket's number this one follows up
    answers: dict[str, str] = field(default_factory=dict)  # the type's custom fields
    action: str = ""  # the button: "fields", "preview", "check" (the first send) or "file"

    @classmethod
    def of(cls, form: FormMultiDict) -> TicketForm:
        def text(name: str, default: str = "") -> str:
            value = form.get(name, default)
            return value if isinstance(value, str) else default

        key = text("form_key")
        return cls(
            form_key=key if FORM_KEY.match(key) else new_form_key(),
            type=text("type"),
            priority=text("priority", "normal"),
            subject=text("subject"),
            description=text("description"),
            article=text("article")[:200],
            related=text("related")[:12],
            answers={
                name.removeprefix(FIELD_PREFIX): value
                for name, value in form.multi_items()
                if name.startswith(FIELD_PREFIX) and isinstance(value, str)
            },
            action=text("action"),
        )

    def with_type(self, slug: str) -> TicketForm:
        return replace(self, type=slug)

    def draft(self) -> NewTicket:
        return NewTicket(
            type=self.type,
            subject=self.subject,
            description=self.description,
            priority=self.priority,
            custom_fields=self.answers,
            channel="web",
            idempotency_key=self.form_key,
        )

    def origin(self) -> Origin:
        number = int(self.related) if self.related.isdigit() and int(self.related) > NUMBER_BASE else None
        return Origin(article=self.article, related=number)


def files_of(form: FormMultiDict, name: str = "attachments") -> list[Incoming]:
    """The files chosen; an empty file input arrives as an empty text value and is no file."""
    return [Incoming(value.filename, value.file) for value in form.getall(name, []) if isinstance(value, UploadFile)]


async def read(request: Request) -> tuple[FormMultiDict, list[Incoming]]:
    form = await request.form()
    return form, files_of(form)
