"""Canned replies: saved answers in English or Russian, an agent's own or shared by all, with
placeholders filled from the ticket when inserted. Owners manage their own; administrators the shared
ones (and anyone's). Unknown placeholders are refused when saving, so none reaches a customer unfilled."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime

from auth.tables import Role, User
from portal.tickets.errors import NotAllowed, TicketError, TicketNotFound
from portal.tickets.tables import CannedReply, Ticket
from portal.tickets.visibility import is_staff, number_of

LOCALES = ("en", "ru")
MAX_TITLE = 200
MAX_BODY = 20_000
PLACEHOLDERS = ("customer_first_name", "customer_name", "ticket_number", "ticket_subject", "agent_name")
_PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
# Every ASCII punctuation character may be backslash-escaped in Markdown: a value so escaped is text.
_MARKDOWN = re.compile(f"([{re.escape(string.punctuation)}])")


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    body: str
    locale: str = "en"
    shared: bool = False


def _is_admin(user: User) -> bool:
    return Role(user.role) == Role.ADMIN


def _staff(user: User) -> None:
    if not is_staff(user):
        raise NotAllowed()


def _checked(draft: Draft) -> Draft:
    title, body = " ".join(draft.title.split()), draft.body.replace("\r\n", "\n").strip()
    if not title:
        raise TicketError("canned_title_required", "title")
    if len(title) > MAX_TITLE:
        raise TicketError("canned_title_too_long", "title")
    if not body:
        raise TicketError("canned_body_required", "body")
    if len(body) > MAX_BODY or "\x00" in body or "\x00" in title:
        raise TicketError("canned_body_too_long", "body")
    if draft.locale not in LOCALES:
        raise TicketError("invalid_locale", "locale")
    if unknown := sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS}):
        raise PlaceholderUnknown(unknown)
    return Draft(title, body, draft.locale, draft.shared)


class PlaceholderUnknown(TicketError):
    """A body naming placeholders there are none of; `names` says which."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("canned_placeholder_unknown", "body")
        self.names = names


async def visible_to(viewer: User, locale: str | None = None) -> list[dict]:
    """The shared replies and the viewer's own (an administrator sees everyone's), shared first, by title."""
    _staff(viewer)
    query = CannedReply.select(CannedReply.all_columns(), CannedReply.owner.name.as_alias("owner_name"))
    if not _is_admin(viewer):
        query = query.where(CannedReply.owner.is_null() | (CannedReply.owner == viewer.id))
    if locale:
        query = query.where(CannedReply.locale == locale)
    rows = await query.order_by(CannedReply.title)
    return sorted(rows, key=lambda row: row["owner"] is not None)


def may_edit(viewer: User, reply: CannedReply | dict) -> bool:
    owner = reply["owner"] if isinstance(reply, dict) else reply.owner
    return _is_admin(viewer) or (owner is not None and owner == viewer.id)


async def get(viewer: User, reply_id: int) -> CannedReply:
    """One reply the viewer may use: TicketNotFound for another agent's personal one."""
    _staff(viewer)
    found = await CannedReply.objects().where(CannedReply.id == reply_id).first()
    if found is None or not (found.owner is None or may_edit(viewer, found)):
        raise TicketNotFound()
    return found


async def editable(viewer: User, reply_id: int) -> CannedReply:
    """A reply the viewer may change: NotAllowed for a shared one unless they are an administrator."""
    reply = await get(viewer, reply_id)
    if not may_edit(viewer, reply):
        raise NotAllowed("canned_not_yours")
    return reply


async def create(actor: User, draft: Draft) -> CannedReply:
    _staff(actor)
    draft = _checked(draft)
    if draft.shared and not _is_admin(actor):
        raise NotAllowed("canned_shared_admin_only")
    reply = CannedReply(
        owner=None if draft.shared else actor.id, locale=draft.locale, title=draft.title, body=draft.body
    )
    await reply.save()
    return reply


async def update(actor: User, reply_id: int, draft: Draft) -> CannedReply:
    """Change a reply's text and language; whether it is shared stays as it was made."""
    reply = await editable(actor, reply_id)
    draft = _checked(draft)
    reply.title, reply.body, reply.locale, reply.updated_at = draft.title, draft.body, draft.locale, datetime.now(UTC)
    await reply.save([CannedReply.title, CannedReply.body, CannedReply.locale, CannedReply.updated_at])
    return reply


async def delete(actor: User, reply_id: int) -> None:
    await (await editable(actor, reply_id)).remove()


def escaped(value: str) -> str:
    """A value as Markdown text: its punctuation escaped, so a name like "**Bob** <img …>" reads as it is."""
    return _MARKDOWN.sub(r"\\\1", " ".join(value.split()))


def values_for(ticket: Ticket, agent: User) -> dict[str, str]:
    """What the placeholders stand for on this ticket (the ticket read with its requester)."""
    name = getattr(ticket.requester, "name", "") or ""
    return {
        "customer_first_name": escaped(name.split()[0] if name.split() else ""),
        "customer_name": escaped(name),
        "ticket_number": str(number_of(ticket.id)),
        "ticket_subject": escaped(ticket.subject),
        "agent_name": escaped(agent.name),
    }


def fill(body: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


async def filled_for(viewer: User, ticket: Ticket) -> list[dict]:
    """The replies the viewer may use, in the customer's language first, each with its body filled."""
    values = values_for(ticket, viewer)
    language = getattr(ticket.requester, "locale", "en")
    rows = await visible_to(viewer)
    rows.sort(key=lambda row: row["locale"] != language)
    return [{**row, "filled": fill(row["body"], values)} for row in rows]


async def insert(viewer: User, ticket: Ticket, reply_id: int, body: str) -> str:
    """The reply box's text with the chosen reply, filled for this ticket, added at its end (the step
    for browsers without JavaScript, which inserts at the cursor instead)."""
    reply = await get(viewer, reply_id)
    filled = fill(reply.body, values_for(ticket, viewer))
    return f"{body.rstrip()}\n\n{filled}" if body.strip() else filled
