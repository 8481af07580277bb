"""`SearchIndex`: the search engine the portal calls: search, suggestions, writes and health."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import anyio
from whoosh.searching import Searcher

from kb.languages import LOCALES
from kb.search.analysis import stem
from kb.search.busy import NotReady, SearchBusy, SearchGate
from kb.search.cache import EngineCache
from kb.search.filters import filter_mask
from kb.search.model import Hit, IndexDoc, IndexHealth, QueryTooLong, SearchPage, Suggestion
from kb.search.query import MAX_QUERY_CHARS, UserQuery, parse_user_text, plan
from kb.search.ranking import TITLE_FIELD, rerank
from kb.search.schema import stored_updated_at
from kb.search.scorer import Leaf, leaf_of, leaves, score_all
from kb.search.scoring import RANKING, Ranking
from kb.search.semantic import EMBEDDER, Embedder
from kb.search.snippets import Highlighter
from kb.search.spelling import SPELLING_FIELDS, did_you_mean, spell
from kb.search.store import IndexStore, IndexUnavailable
from kb.search.suggest import complete, typed, weigh

__all__ = ["IndexUnavailable", "SearchBusy", "SearchIndex", "fingerprint_of", "run_search"]

MAX_PER_PAGE = 100
MAX_PAGE = 100


def fingerprint_of(versions: dict[int, datetime]) -> str:
    """Digest of id → updated_at pairs; equal digests mean the index holds what the database holds."""
    digest = hashlib.sha256()
    for doc_id in sorted(versions):
        digest.update(f"{doc_id}:{versions[doc_id].isoformat()}\n".encode())
    return digest.hexdigest()


T = TypeVar("T")


class SearchIndex:
    """Synchronous on purpose (Whoosh is): the web layer calls it through `run_search`, which runs it on
    the event loop when the index is warm, else in a worker thread once a slot is free (waiting on the
    event loop, not in a thread).

    At most `concurrency` searches and suggestions run at once (default: the CPUs), `queue` more wait
    up to `wait` seconds in `run_search` (`thread_wait` when called in a thread directly); beyond
    that they raise SearchBusy. The searchers kept open between calls
    are capped at the same number, and the data decoded per segment (EngineCache) is shared by all.
    """

    def __init__(
        self,
        path: Path,
        ranking: Ranking = RANKING,
        embedder: Embedder = EMBEDDER,
        *,
        concurrency: int | None = None,
        queue: int | None = None,
        wait: float = 1.0,
        thread_wait: float = 10.0,
    ) -> None:
        self.path = Path(path)
        self.ranking = ranking
        self.embedder = embedder
        self.gate = SearchGate(concurrency, queue, wait, thread_wait)
        self._store = IndexStore(self.path, embedder, max_idle=self.gate.slots)
        self._cache = EngineCache()
        self._warming = threading.Lock()  # one warm-up at a time: the others then find it done
        self._thread = threading.local()  # .on_loop: this call runs on the event loop (run_search)

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """The running event loop's limiter of `concurrency` tokens (see SearchGate.limiter)."""
        return self.gate.limiter

    @contextlib.contextmanager
    def _reading(self) -> Iterator[tuple[str, Searcher]]:
        """A searcher; a file that vanished or broke under it becomes IndexUnavailable (raised by the
        store), which tells the caller to rebuild: the database is the truth."""
        with self._store.searcher() as opened:
            yield opened

    @contextlib.contextmanager
    def _searching(self) -> Iterator[tuple[str, Searcher, list[Leaf]]]:
        """A slot, a searcher and its segments' cached data, for one search or suggestion. On the event
        loop (`on_loop`) only what is ready will do: a free slot, a kept searcher, segments warmed up;
        anything else raises NotReady before any work is done."""
        on_loop = getattr(self._thread, "on_loop", False)
        slot, opened = self.gate.slot(wait=not on_loop), self._store.searcher(open_new=not on_loop)
        with slot, opened as (generation, searcher):
            parts = leaves(searcher, generation, self._cache)
            if on_loop and not all(leaf.data.warm for leaf in parts):
                raise NotReady("a segment is new since the warm-up")
            yield generation, searcher, parts

    def on_loop(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` here, on the event loop; raises NotReady (see `_searching`) when it must not."""
        self._thread.on_loop = True
        try:
            return fn(*args)
        finally:
            self._thread.on_loop = False

    def warmed(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` after a warm-up: in a worker thread, for a call the event loop found not ready."""
        self.warm_up()
        return fn(*args)

    # --- writing and health --------------------------------------------------------------------

    def rebuild(self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None) -> int:
        """Index `docs` from scratch beside the live index, then swap it in; returns the count."""
        return self._store.rebuild(docs, progress)

    def apply(self, upserts: Iterable[IndexDoc] = (), deletes: Iterable[int] = ()) -> None:
        """Add or replace `upserts` and remove the ids in `deletes`, in one commit."""
        self._store.apply(upserts, deletes)

    def check(self) -> IndexHealth:
        return self._store.check()

    def close(self) -> None:
        self._store.close()

    def warm_up(self) -> None:
        """Load and decode what every query needs (the embeddings, length norms, title stems, meaning
        vectors, spelling vocabulary, the readers' filters) now rather than in the first search: call it
        at start-up and after every write, from a worker thread. Only segments not seen before cost
        anything; searches of warmed segments may run on the event loop (run_search)."""
        self.embedder.load()
        with self._warming, self._reading() as (generation, searcher):
            parts = leaves(searcher, generation, self._cache)
            self._cache.forget_except(generation, {leaf.data.key[1] for leaf in parts})
            fields = {f.name: f for channel in self.ranking.channels for f in channel.fields}
            avg = {name: searcher.avg_field_length(name, 1.0) or 1.0 for name in fields}
            groups = [(channel.fields, channel.k1) for channel in self.ranking.channels if channel.weight > 0]
            for leaf in parts:
                for field in fields.values():
                    leaf.data.norms(leaf.reader, field, avg[field.name])
                leaf.data.prefetch(leaf.reader, groups, avg)
                leaf.data.doc_terms(leaf.reader, TITLE_FIELD)
                leaf.data.vectors(leaf.reader)
                leaf.data.vocabulary(leaf.reader, SPELLING_FIELDS)
                leaf.data.lexicon(leaf.reader, SPELLING_FIELDS)
            for locale in LOCALES:
                filter_mask(searcher, parts, generation, self._cache, locale, None, True)
            for leaf in parts:
                leaf.data.warm = True

    def doc_count(self) -> int:
        with self._reading() as (_, searcher):
            return searcher.doc_count()

    def versions(self) -> dict[int, datetime]:
        """id → updated_at of every indexed article, to diff against the database."""
        with self._reading() as (_, searcher):
            return {
                int(fields["id"]): stored_updated_at(fields["updated_at"])
                for fields in searcher.reader().all_stored_fields()
            }

    def fingerprint(self) -> str:
        return fingerprint_of(self.versions())

    # --- reading -------------------------------------------------------------------------------

    def search(
        self,
        q: str,
        locale: str | tuple[str, ...],
        category: str | None = None,
        page: int = 1,
        per_page: int = 10,
        public_only: bool = True,
    ) -> SearchPage:
        """One page of ranked hits. Raises QueryTooLong; SearchBusy when too many searches run or
        wait; IndexUnavailable when there is no usable index (rebuild, then try again)."""
        user = parse_user_text(q)
        page, per_page = min(max(page, 1), MAX_PAGE), min(max(per_page, 1), MAX_PER_PAGE)
        if not user.words:
            return SearchPage([], 0, None, page, per_page)
        with self._searching() as (generation, searcher, parts):
            self._cache.forget_except(generation, {leaf.data.key[1] for leaf in parts})
            fixes, known = spell(parts, user.words)
            if not (known or fixes):
                # No word the articles use, nor a correction to one: what the words' beginnings would
                # match ("quantum" → "quantities") is unrelated, so nothing is found.
                return SearchPage([], 0, None, page, per_page)
            terms = plan(user, fixes, self.ranking)
            mask = filter_mask(searcher, parts, generation, self._cache, locale, category, public_only)
            depth = max(page * per_page, self.ranking.depth)
            matches = score_all(searcher, parts, terms, mask, self.ranking, depth)
            ranked = rerank(
                matches, terms, self.ranking, self.embedder.embed(q) if self.ranking.semantic_weight else None
            )
            highlighter = Highlighter({stem(word) for word in (*user.words, *fixes.values())})
            hits = [
                self._hit(parts, docnum, score, highlighter)
                for docnum, score in ranked[(page - 1) * per_page : page * per_page]
            ]
        return SearchPage(hits, matches.total, did_you_mean(q, fixes), page, per_page)

    @staticmethod
    def _hit(parts: list[Leaf], docnum: int, score: float, highlighter: Highlighter) -> Hit:
        # Plain values from the per-segment cache: nothing may refer to the searcher after it is returned.
        leaf = leaf_of(parts, docnum)
        doc = docnum - leaf.base
        fields = leaf.data.hit_fields(leaf.reader)[doc]
        return Hit(
            id=fields.id,
            slug=fields.slug,
            title=fields.title,
            snippet_html=highlighter.html(leaf.data.snippet_text(leaf.reader, doc)),
            category=fields.category,
            locale=fields.locale,
            score=round(float(score), 4),
        )

    def suggest(
        self, prefix: str, locale: str | tuple[str, ...], limit: int = 8, public_only: bool = True
    ) -> list[Suggestion]:
        """Articles for what is typed so far, ranked as a search ranks them: any of the words, in
        either form, typos corrected, the last word possibly unfinished (kb.search.suggest)."""
        if len(prefix) > MAX_QUERY_CHARS:
            raise QueryTooLong(f"a search may have at most {MAX_QUERY_CHARS} characters")
        text = typed(prefix)
        if not text.finished.words and len(text.partial) < 2:
            return []
        with self._searching() as (generation, searcher, parts):
            completions = complete(parts, text.partial)
            # Nothing begins with it: the word is finished, or misspelt (then corrected like the others).
            finished = text.finished.words + (() if completions or not text.partial else (text.partial,))
            fixes, known = spell(parts, finished)
            if not (known or fixes or completions):
                return []
            words = tuple(dict.fromkeys(finished)) + tuple(w for w in completions if w not in finished)
            completions = {w: completions[w] for w in words[len(dict.fromkeys(finished)) :]}
            user = UserQuery(prefix, words)
            terms = weigh(plan(user, fixes, self.ranking), user, completions)
            mask = filter_mask(searcher, parts, generation, self._cache, locale, None, public_only)
            matches = score_all(searcher, parts, terms, mask, self.ranking, self.ranking.depth)
            vector = self.embedder.embed(prefix) if self.ranking.semantic_weight else None
            results = []
            for docnum, _ in rerank(matches, terms, self.ranking, vector)[: max(1, min(limit, 50))]:
                leaf = leaf_of(parts, docnum)
                fields = leaf.data.hit_fields(leaf.reader)[docnum - leaf.base]
                results.append(Suggestion(fields.slug, fields.title, fields.locale))
            return results


async def run_search(index: SearchIndex, fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` (a call of index.search or index.suggest), on the event loop when the index is ready
    for it, else in a worker thread, at most `concurrency` at once per event loop; raises SearchBusy
    when the wait queue is full or the wait too long, besides whatever `fn` raises (IndexUnavailable,
    QueryTooLong).

    A search of a warmed index is about a millisecond of CPU, and handing it to a worker thread and
    back cost as much again (the served search page: 3.5-3.8 ms of CPU a request through a thread,
    2.5-2.65 ms on the loop): the hand-overs and the threads' contention for the GIL, beside which the
    thread could not run anyway. What must not block the loop (opening a searcher, reading files that
    changed, decoding new segments, waiting for a slot) raises NotReady before it starts, and the call
    goes to a worker thread, which warms the index up first when it is cold (not when the slots were
    only taken: under load, a warm-up per waiting search would open searchers for nothing)."""
    try:
        return index.on_loop(fn, *args)
    except NotReady as not_ready:
        if not_ready.cold:
            return await index.gate.run(index.warmed, fn, *args)
        return await index.gate.run(fn, *args)
