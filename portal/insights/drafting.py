"""Turning a resolved ticket (or a group's best-rated resolution) into a draft article: the proposal with
personal data scrubbed and every scrubbed span listed, the draft saved with its source tickets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from auth.tables import User
from kb import articles
from kb.indexing import IndexSync
from kb.search import QueryTooLong
from kb.tables import Article
from portal.db import write_transaction
from portal.i18n import gettext_, use_locale
from portal.insights.overview import staff_answers
from portal.insights.scrubber import Span, scrub
from portal.insights.tables import ArticleSource
from portal.knowledge import searching
from portal.knowledge.answering import locale_of
from portal.tickets.deflection import query_of
from portal.tickets.tables import Message, Ticket
from portal.tickets.workflow import Status

CATEGORY_HITS = 5
RESOLVED = {Status.RESOLVED.value, Status.CLOSED.value}


class NotResolved(ValueError):
    """Only a resolved ticket has an answer to write up."""


@dataclass(frozen=True, slots=True)
class Reply:
    id: int
    author: str
    body: str
    chosen: bool


@dataclass(frozen=True, slots=True)
class Scrubbed:
    part: str  # "title", "problem" or "solution"
    span: Span


@dataclass(frozen=True, slots=True)
class Proposal:
    draft: articles.Draft
    replies: list[Reply]
    scrubbed: list[Scrubbed]


async def _names(ticket: Ticket) -> list[str]:
    """Everyone named on the ticket: the requester and every author of a message."""
    authors = await Message.select(Message.author.name.as_alias("name")).where(Message.ticket == ticket.id)
    requester = await User.select(User.name).where(User.id == ticket.requester).first()
    return sorted({n for n in [requester["name"] if requester else "", *(a["name"] for a in authors)] if n})


async def _category(kb: IndexSync, ticket: Ticket, locale: str) -> str:
    """The category most of the closest published articles are in (nearer ones weigh more)."""
    # Not logged: a staff tool's lookup is not a reader's search.
    query = query_of(ticket.subject, ticket.description)
    try:
        result = await searching.find(kb, query, locale, per_page=CATEGORY_HITS)
    except QueryTooLong:
        return ""
    votes: Counter[str] = Counter()
    for rank, hit in enumerate(result.results):
        if hit.category:
            votes[hit.category] += CATEGORY_HITS - rank
    return votes.most_common(1)[0][0] if votes else ""


def _body(problem: str, solution: str, locale: str) -> str:
    with use_locale(locale):
        headings = (gettext_("Problem"), gettext_("Cause"), gettext_("Solution"))
        cause = gettext_("Why it happens, in a sentence or two.")
    parts = (problem.strip(), cause, solution.strip())
    return "\n\n".join(f"## {heading}\n\n{text}" for heading, text in zip(headings, parts, strict=True)) + "\n"


async def propose(kb: IndexSync, ticket: Ticket, chosen: list[int] | None = None) -> Proposal:
    """A draft from the ticket: its question as the title, the description as the problem and the
    chosen public replies (by default the last one, which resolved it) as the solution."""
    if ticket.status not in RESOLVED:
        raise NotResolved()
    locale = await locale_of(ticket)
    names = await _names(ticket)
    rows = await staff_answers([ticket.id])
    picked = set(chosen) if chosen else {r["id"] for r in rows[-1:]}
    replies = [Reply(r["id"], r["author_name"] or "", r["body"], r["id"] in picked) for r in rows]
    title = scrub(ticket.subject, names=names, locale=locale)
    problem = scrub(ticket.description, names=names, locale=locale)
    solution = scrub("\n\n".join(r.body.strip() for r in replies if r.chosen), names=names, locale=locale)
    draft = articles.Draft(
        title=title.text.strip(),
        body=_body(problem.text, solution.text, locale),
        locale=locale,
        category=await _category(kb, ticket, locale),
    )
    scrubbed = [
        Scrubbed(part, span)
        for part, s in (("title", title), ("problem", problem), ("solution", solution))
        for span in s.spans
    ]
    return Proposal(draft=draft, replies=replies, scrubbed=scrubbed)


async def create_draft(kb: IndexSync, draft: articles.Draft, author_id: int, sources: list[int]) -> Article:
    """The draft and its links to the tickets it came from, in one transaction."""
    async with write_transaction():
        article = await articles.create(draft, author_id)
        await link(article.id, sources)
    await kb.apply_pending()
    return article


async def link_all(article_id: int, ticket_ids: list[int]) -> None:
    async with write_transaction():
        await link(article_id, ticket_ids)


async def link(article_id: int, ticket_ids: list[int]) -> None:
    """Record these tickets as answered by the article (known tickets only, each once)."""
    known = (
        {r["id"] for r in await Ticket.select(Ticket.id).where(Ticket.id.is_in(ticket_ids))} if ticket_ids else set()
    )
    linked = {
        r["ticket"] for r in await ArticleSource.select(ArticleSource.ticket).where(ArticleSource.article == article_id)
    }
    fresh = sorted(known - linked)
    if fresh:
        await ArticleSource.insert(*[ArticleSource(article=article_id, ticket=t) for t in fresh])
