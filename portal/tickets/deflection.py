"""Deflection: articles that may answer a request before it is filed, and the requests they answered."""

from __future__ import annotations

import re
from collections.abc import Sequence

from auth.tables import User
from kb import articles
from kb.activity import ReaderActivity
from kb.indexing import IndexSync
from kb.search import Hit, QueryTooLong
from kb.tables import Deflection
from portal.db import write_transaction
from portal.knowledge import searching
from portal.settings import Settings
from portal.tickets import attachments, filing
from portal.tickets.attachments import Incoming
from portal.tickets.filing import NewTicket

SUGGESTIONS = 5
QUERY_WORDS = 24  # the subject and the start of the description: the engine takes at most 32 distinct words
FORM_KEY = re.compile(r"^[0-9a-f]{32}$")


def query_of(subject: str, description: str) -> str:
    return " ".join(f"{subject} {description}".split()[:QUERY_WORDS])[:400]


async def suggestions(
    kb: IndexSync, activity: ReaderActivity, subject: str, description: str, locale: str, user_id: int | None
) -> list[Hit]:
    """The best matches for what the customer wrote; none when nothing matches or nothing was written."""
    for text in dict.fromkeys((query_of(subject, description), query_of(subject, ""))):
        if not text:
            continue
        try:
            result, _token = await searching.search(
                kb, activity, text, locale, per_page=SUGGESTIONS, user_id=user_id, source="ticket"
            )
        except QueryTooLong:
            continue
        return result.results
    return []


async def before_filing(
    settings: Settings,
    kb: IndexSync,
    activity: ReaderActivity,
    requester: User,
    draft: NewTicket,
    files: Sequence[Incoming],
    locale: str,
) -> list[Hit]:
    """The first send of the form: checked as filing would check it (files too), then the articles
    that may already answer it; none when nothing matches and the ticket may be filed at once."""
    await filing.check(requester, draft)
    await attachments.check_all(files, settings.attachment_max_bytes)
    return await suggestions(kb, activity, draft.subject, draft.description, locale, requester.id)


async def record(slug: str, user_id: int | None, query: str, form_key: str) -> bool:
    """ "This solved my problem": one record per form and article; False when there was nothing to record.
    Raises ArticleNotFound for an article readers cannot see."""
    article = await articles.by_slug(slug)
    if not FORM_KEY.match(form_key):
        return False
    async with write_transaction():
        if await Deflection.exists().where((Deflection.form_key == form_key) & (Deflection.article == article.id)):
            return False
        query = " ".join(query.split())[:500]
        await Deflection(article=article.id, user=user_id, query=query, form_key=form_key).save()
    return True
