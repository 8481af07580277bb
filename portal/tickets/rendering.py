"""Tickets' Markdown rendered once: when a description or message is written, or (rows written before
that, or by an import) at its first view, then stored beside the text; a page view never renders again."""

from __future__ import annotations

import anyio.to_thread

from kb.markdown import render
from portal.tickets.tables import Message, Ticket

__all__ = ["description_html", "html_of", "messages_html", "rendered", "renders"]

# How many times this process has rendered a ticket's Markdown (what the tests count views by).
renders = 0


def html_of(markdown: str) -> str:
    """The one safe renderer's HTML (raw HTML in the text is escaped, never passed)."""
    global renders
    renders += 1
    return render(markdown).html


# Shorter text renders in well under a millisecond: less than the hop to a worker thread costs.
INLINE_CHARS = 2000


async def rendered(markdown: str) -> str:
    if len(markdown) <= INLINE_CHARS:
        return html_of(markdown)
    # In a thread: even bounded, crafted Markdown takes a fraction of a second to render.
    return await anyio.to_thread.run_sync(html_of, markdown)


async def description_html(ticket: Ticket) -> str:
    stored = getattr(ticket, "description_html", None)
    if stored is not None:
        return stored
    html = await rendered(ticket.description)
    await Ticket.update({Ticket.description_html: html}).where(
        (Ticket.id == ticket.id) & Ticket.description_html.is_null()
    )
    ticket.description_html = html
    return html


async def messages_html(messages: list[dict]) -> list[str]:
    """Each message row's HTML (rows carry id, body and body_html), rendering and storing those without."""
    missing = [m for m in messages if m.get("body_html") is None]
    if missing:
        htmls = await anyio.to_thread.run_sync(lambda: [html_of(m["body"]) for m in missing])
        for message, html in zip(missing, htmls, strict=True):
            await Message.update({Message.body_html: html}).where(
                (Message.id == message["id"]) & Message.body_html.is_null()
            )
            message["body_html"] = html
    return [m["body_html"] for m in messages]
