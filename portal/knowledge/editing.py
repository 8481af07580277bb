"""Staff editing articles: each change written with its revision, then visible to search at once."""

from __future__ import annotations

from kb import articles
from kb.indexing import IndexSync
from kb.tables import Article
from portal.db import write_transaction


async def create_article(sync: IndexSync, draft: articles.Draft, author_id: int) -> Article:
    async with write_transaction():
        article = await articles.create(draft, author_id)
    await sync.apply_pending()
    return article


async def update_article(sync: IndexSync, article_id: int, draft: articles.Draft, author_id: int) -> Article:
    async with write_transaction():
        article = await articles.update(await articles.get(article_id), draft, author_id)
    await sync.apply_pending()
    return article


async def change_status(sync: IndexSync, article_id: int, target: articles.Status, author_id: int) -> Article:
    """Publishing makes the article searchable at once in this process, within seconds in the others."""
    async with write_transaction():
        article = await articles.transition(await articles.get(article_id), target, author_id)
    await sync.apply_pending()
    return article


async def restore_revision(sync: IndexSync, article_id: int, number: int, author_id: int) -> Article:
    async with write_transaction():
        article = await articles.restore(await articles.get(article_id), number, author_id)
    await sync.apply_pending()
    return article
