"""Keeping a process's search index in step with the database, the one truth.

Every article change writes an `IndexChange` row in the transaction that changes the article; each
process applies the rows newer than the last one it applied (kept in a small file beside the index,
so the processes of one node that share the index share the mark too). On start-up, and whenever
the index is missing or corrupt, the index is compared with the database and rebuilt if they differ.
A change to what reader pages show besides articles (a category's name) writes a row too, naming no
article: every process then drops its pages as it does for an article change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import anyio.to_thread
from piccolo.query.functions.aggregate import Max

from kb.articles import tags_of
from kb.markdown import plain_text
from kb.search import SearchBusy, SearchIndex
from kb.search.index import fingerprint_of
from kb.search.model import IndexDoc
from kb.tables import Article, IndexChange, Status

log = logging.getLogger("kb.index")

_COLUMNS = (
    Article.id,
    Article.slug,
    Article.locale,
    Article.title,
    Article.summary,
    Article.body,
    Article.tags,
    Article.status,
    Article.updated_at,
    Article.category.slug.as_alias("category_slug"),
)
BATCH = 500
PAGES_ONLY = 0  # the article_id of a change that touches reader pages but no article
# A search that meets a missing or damaged index waits this long for the rebuild (a small knowledge
# base is back within it); past it the reader is told to come back after REBUILD_RETRY_S, and the
# rebuild goes on without them.
HEAL_WAIT_S = 3.0
REBUILD_RETRY_S = 5


class Rebuilding(SearchBusy):
    """The index is being rebuilt from the database (it was missing or damaged): try again shortly."""

    code = "search_rebuilding"

    def __init__(self) -> None:
        super().__init__(REBUILD_RETRY_S)


async def log_pages_change() -> None:
    """Record, in the caller's transaction, that reader pages changed without an article changing."""
    await IndexChange(article_id=PAGES_ONLY).save()


def doc_of(row: dict) -> IndexDoc:
    return IndexDoc(
        id=row["id"],
        slug=row["slug"],
        locale=row["locale"],
        title=row["title"],
        summary=row["summary"] or "",
        body=plain_text(row["body"]),
        category=row["category_slug"],
        tags=tags_of(row["tags"]),
        public=row["status"] == Status.PUBLISHED,
        updated_at=row["updated_at"],
    )


class IndexSync:
    def __init__(self, index: SearchIndex, *, warm: bool = False) -> None:
        """`warm`: a process that serves searches decodes what queries need (SearchIndex.warm_up)
        after every write, so no reader waits for it; a command that only writes does not."""
        self.index = index
        self.warm = warm
        self._mark = index.path / "applied-change"
        self._healing = asyncio.Lock()
        self._heal_task: asyncio.Task | None = None
        self.heal_wait = HEAL_WAIT_S
        # Pages and lists derived from the articles, kept until this process applies a change.
        self.memo: dict[object, object] = {}
        # Counts the changes this process applied: what was built from an older count is outdated,
        # even if it was finished (and stored) after the change.
        self.changes = 0

    def _changed(self) -> None:
        self.memo.clear()
        self.changes += 1

    def _applied(self) -> int:
        try:
            return int(self._mark.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _set_applied(self, change_id: int) -> None:
        self.index.path.mkdir(parents=True, exist_ok=True)
        tmp = self._mark.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(str(max(change_id, self._applied())))
        os.replace(tmp, self._mark)

    async def _latest_change(self) -> int:
        row = await IndexChange.select(Max(IndexChange.id, alias="latest")).first()
        return (row or {}).get("latest") or 0

    async def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """A fresh index from every article, swapped in; changes made meanwhile are applied after."""
        latest = await self._latest_change()
        docs: list[IndexDoc] = []
        last_id = 0
        while True:
            rows = await Article.select(*_COLUMNS).where(Article.id > last_id).order_by(Article.id).limit(BATCH)
            if not rows:
                break
            docs.extend(doc_of(row) for row in rows)
            last_id = rows[-1]["id"]
        count = await anyio.to_thread.run_sync(lambda: self.index.rebuild(docs, progress))
        self._set_applied(latest)
        self._changed()
        log.info("search index rebuilt with %s articles", count)
        await self._warm_up()
        return count

    async def _database_versions(self) -> dict[int, datetime]:
        rows = await Article.select(Article.id, Article.updated_at)
        return {row["id"]: row["updated_at"] for row in rows}

    async def ensure_fresh(self) -> str:
        """Rebuild when the index is missing, corrupt or differs from the database; says why."""
        health = await anyio.to_thread.run_sync(self.index.check)
        if not health.ok:
            reason = health.reason
        else:
            ours = await anyio.to_thread.run_sync(self.index.fingerprint)
            reason = "" if ours == fingerprint_of(await self._database_versions()) else "stale"
        if reason:
            # A new data directory has no index yet: building one is routine, not a warning.
            level = logging.INFO if reason.startswith("missing") else logging.WARNING
            log.log(level, "search index %s: building it from the database", reason)
            await self.rebuild()
        else:
            await self.apply_pending()
        # Load what the first searches would otherwise load while a reader waits (nothing left to do
        # when a rebuild or an applied change has just done it).
        await anyio.to_thread.run_sync(self.index.warm_up)
        return reason

    async def heal(self) -> None:
        """The index vanished or broke under a running server: rebuild it, once for many callers."""
        async with self._healing:
            health = await anyio.to_thread.run_sync(self.index.check)
            if not health.ok:
                log.warning("search index %s: rebuilding", health.reason)
                await self.rebuild()

    async def healed(self) -> None:
        """Heal in the background (one rebuild for every search that meets the damage) and wait for it
        up to `heal_wait` seconds; Rebuilding when it takes longer, so that nobody waits a whole rebuild
        of a large knowledge base for an answer. A rebuild that failed raises its error to those waiting."""
        task = self._heal_task
        if task is None or task.done():
            task = self._heal_task = asyncio.get_running_loop().create_task(self.heal())
            task.add_done_callback(_log_failure)
        # The wait ends, the rebuild does not: a reader told to come back (or gone) leaves it running.
        done, _ = await asyncio.wait({task}, timeout=self.heal_wait)
        if not done:
            raise Rebuilding
        task.result()

    async def stop_healing(self) -> None:
        """At shutdown: a rebuild still running stops (the next start checks the index again)."""
        if self._heal_task is not None and not self._heal_task.done():
            self._heal_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # a failure is logged by _log_failure
                await self._heal_task

    async def apply_pending(self) -> int:
        """Apply the changes other writers (or this one) logged since the last pass; returns how many
        articles changed."""
        applied = self._applied()
        changes = (
            await IndexChange.select(IndexChange.id, IndexChange.article_id)
            .where(IndexChange.id > applied)
            .order_by(IndexChange.id)
            .limit(5000)
        )
        if not changes:
            return 0
        ids = sorted({change["article_id"] for change in changes} - {PAGES_ONLY})
        if ids:
            rows = await Article.select(*_COLUMNS).where(Article.id.is_in(ids))
            upserts = [doc_of(row) for row in rows]
            deletes = sorted(set(ids) - {row["id"] for row in rows})
            await anyio.to_thread.run_sync(lambda: self.index.apply(upserts, deletes))
        self._set_applied(changes[-1]["id"])
        self._changed()
        if ids:
            await self._warm_up()
        return len(ids)

    async def _warm_up(self) -> None:
        if self.warm:
            await anyio.to_thread.run_sync(self.index.warm_up)


def index_at(data_dir: Path) -> SearchIndex:
    return SearchIndex(data_dir / "search")


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("search index: the rebuild failed (%s); the next search tries again", exc)
