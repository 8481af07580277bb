"""Answering a ticket with a knowledge-base article: the search staff run from any ticket, and the public
reply linking the article with its summary in the customer's language (its translation, if one exists)."""

from __future__ import annotations

from auth.tables import User
from kb.indexing import IndexSync
from kb.search import Hit, QueryTooLong
from kb.tables import Article, Status
from portal.i18n import LOCALES, gettext_, use_locale
from portal.knowledge import searching
from portal.settings import Settings
from portal.tickets import conversation
from portal.tickets.errors import TicketError
from portal.tickets.tables import Message, Ticket

MAX_QUERY = 200


async def locale_of(ticket: Ticket) -> str:
    """The requester's language: the one an answer is written in."""
    requester = getattr(ticket.requester, "id", ticket.requester)
    row = await User.select(User.locale).where(User.id == requester).first()
    return row["locale"] if row and row["locale"] in LOCALES else "en"


async def search(kb: IndexSync, ticket: Ticket, q: str) -> list[Hit]:
    """Published articles for the query, the customer's language first; none for a blank or too long one."""
    q = " ".join(q.split())
    if not q or len(q) > MAX_QUERY:
        return []
    try:
        return (await searching.find(kb, q, await locale_of(ticket), per_page=10)).results
    except QueryTooLong:
        return []


async def _article(article_id: int, locale: str) -> dict:
    """The published article, or its published translation into `locale` when there is one."""
    columns = (Article.id, Article.slug, Article.title, Article.summary, Article.locale, Article.translation_key)
    published = Article.status == Status.PUBLISHED
    article = await Article.select(*columns).where((Article.id == article_id) & published).first()
    if article is None:
        raise TicketError("article_not_published", "article")
    if article["locale"] != locale and article["translation_key"]:
        translated = (
            await Article.select(*columns)
            .where((Article.translation_key == article["translation_key"]) & (Article.locale == locale) & published)
            .first()
        )
        return translated or article
    return article


async def answer_with(settings: Settings, agent: User, ticket: Ticket, article_id: int) -> Message:
    """A public reply pointing the customer to the article, in the customer's language; it leaves the
    ticket waiting for the customer, as any public reply does by default."""
    locale = await locale_of(ticket)
    article = await _article(article_id, locale)
    url = f"{settings.base_url.rstrip('/')}/kb/{article['slug']}"
    with use_locale(locale):
        body = gettext_(
            "This article answers your question: [%(title)s](%(url)s). Reply here if it does not solve the problem.",
            title=article["title"].replace("]", ")").replace("[", "("),
            url=url,
        )
    summary = " ".join(article["summary"].split())
    if summary:
        body = f"{body}\n\n> {summary}"
    return await conversation.reply(settings, agent, ticket, body)
