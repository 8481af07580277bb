"""The index on disk: generations swapped in atomically, one writer at a time, health checks, searchers."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.searching import Searcher
from whoosh.util.filelock import FileLock, try_for

from kb.search.model import IndexDoc, IndexHealth
from kb.search.schema import doc_fields, index_version, make_schema
from kb.search.semantic import Embedder, with_vectors

__all__ = ["IndexStore", "IndexUnavailable"]

_CURRENT = "CURRENT"
_VERSION = "kb-schema-version"
_LOCK = "write.lock"


class IndexUnavailable(RuntimeError):
    """There is no usable index on disk (never built, deleted or corrupt): rebuild it."""


class IndexStore:
    """Layout: ROOT/CURRENT names the live generation directory ROOT/gen-*/ (a Whoosh index).

    A rebuild writes a new generation beside the live one and replaces CURRENT with one rename, so a
    reader sees either the old or the new index, never a half-written one. Every write (rebuild or
    incremental apply) holds ROOT/write.lock, an OS file lock: Whoosh allows one writer per index,
    and without a lock around both, a change applied to the old generation while a rebuild runs
    would silently vanish at the swap. The OS lock also serialises web workers of one node and dies
    with a crashed process, so it is never left behind.
    """

    def __init__(self, root: Path, embedder: Embedder, lock_timeout: float = 30.0) -> None:
        self.root = Path(root)
        self.embedder = embedder
        self.lock_timeout = lock_timeout
        self._schema = make_schema()
        self._idle: list[tuple[str, Searcher]] = []
        self._idle_lock = threading.Lock()

    # --- reading -------------------------------------------------------------------------------

    def current_generation(self) -> str | None:
        try:
            name = (self.root / _CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def _open(self, generation: str) -> whoosh_index.Index:
        gen_dir = self.root / generation
        try:
            version = (gen_dir / _VERSION).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise IndexUnavailable(f"no index in {gen_dir}") from None
        current = index_version(self.embedder.load())
        if version != current:
            raise IndexUnavailable(f"index schema {version!r} is not the current {current!r}")
        # Our schema object, not the pickled copy: the analyzers are code, and code is what we trust.
        return whoosh_index.open_dir(str(gen_dir), schema=self._schema)

    @contextlib.contextmanager
    def searcher(self) -> Iterator[tuple[str, Searcher]]:
        """(generation, searcher) over the latest committed state; searchers are reused between
        calls (opening one costs milliseconds) but never shared by two threads at once."""
        generation, searcher = self._acquire()
        try:
            yield generation, searcher
        finally:
            self._release(generation, searcher)

    def _acquire(self) -> tuple[str, Searcher]:
        for _ in range(3):
            generation = self.current_generation()
            if generation is None:
                raise IndexUnavailable(f"no search index in {self.root}")
            try:
                return self._acquire_generation(generation)
            except IndexUnavailable:
                # A rebuild may have swapped generations between reading CURRENT and opening it.
                if self.current_generation() == generation:
                    raise
        raise IndexUnavailable(f"the search index in {self.root} keeps changing under the reader")

    def _acquire_generation(self, generation: str) -> tuple[str, Searcher]:
        with self._idle_lock:
            while self._idle:
                gen, searcher = self._idle.pop()
                if gen == generation:
                    try:
                        if searcher.up_to_date():
                            return gen, searcher
                    except OSError:
                        pass
                # Not Searcher.refresh(): it reuses segment readers by segment id, so documents
                # deleted (or replaced) since in an old segment would stay visible. A new commit
                # costs one fresh searcher instead.
                searcher.close()
        try:
            return generation, self._open(generation).searcher()
        except (OSError, whoosh_index.IndexError) as exc:
            raise IndexUnavailable(f"cannot open the search index: {exc}") from exc

    def _release(self, generation: str, searcher: Searcher) -> None:
        with self._idle_lock:
            if generation == self.current_generation() and len(self._idle) < 8:
                self._idle.append((generation, searcher))
                return
        searcher.close()

    def close(self) -> None:
        with self._idle_lock:
            for _, searcher in self._idle:
                searcher.close()
            self._idle.clear()

    # --- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / _LOCK))
        if not try_for(lock.acquire, timeout=self.lock_timeout, delay=0.02):
            raise TimeoutError(f"another process is writing the search index in {self.root}")
        try:
            yield
        finally:
            lock.release()

    def rebuild(self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None) -> int:
        """Write every document into a fresh generation, then swap it in; returns the count."""
        with self.write_lock():
            previous = self.current_generation()
            generation = f"gen-{uuid.uuid4().hex[:12]}"
            gen_dir = self.root / generation
            gen_dir.mkdir()
            try:
                count = self._write_generation(gen_dir, docs, progress)
                self._point_to(generation)
            except BaseException:
                shutil.rmtree(gen_dir, ignore_errors=True)
                raise
            self._remove_old_generations(keep={generation, previous} - {None})
        return count

    def _write_generation(self, gen_dir: Path, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None) -> int:
        ix = whoosh_index.create_in(str(gen_dir), self._schema)
        writer = ix.writer(limitmb=256)
        count = 0
        try:
            for doc, vector in with_vectors(docs, self.embedder):
                writer.add_document(**doc_fields(doc, vector))
                count += 1
                if progress and count % 500 == 0:
                    progress(count)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        (gen_dir / _VERSION).write_text(index_version(self.embedder.load()), encoding="utf-8")
        if progress:
            progress(count)
        return count

    def _point_to(self, generation: str) -> None:
        tmp = self.root / f"{_CURRENT}.{uuid.uuid4().hex[:8]}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(generation)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / _CURRENT)

    def _remove_old_generations(self, keep: set[str]) -> None:
        # The previous generation stays until the next rebuild: a query that read CURRENT just before
        # the swap may still be opening its files. Searchers notice the new CURRENT on their next use.
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def apply(self, upserts: Iterable[IndexDoc], deletes: Iterable[int]) -> None:
        """Replace or add `upserts` and remove `deletes` (ids) in one commit of the live generation."""
        with self.write_lock():
            generation = self.current_generation()
            if generation is None:
                raise IndexUnavailable(f"no search index in {self.root}: rebuild it first")
            writer = self._open(generation).writer(timeout=self.lock_timeout)
            try:
                for doc_id in deletes:
                    writer.delete_by_term("id", str(doc_id))
                for doc, vector in with_vectors(upserts, self.embedder):
                    writer.update_document(**doc_fields(doc, vector))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    # --- health --------------------------------------------------------------------------------

    def check(self) -> IndexHealth:
        """Open everything a query may touch; any failure means the index must be rebuilt."""
        generation = self.current_generation()
        if generation is None:
            return IndexHealth(False, f"missing: no index in {self.root}")
        if not (self.root / generation).is_dir():
            return IndexHealth(False, f"missing: {self.root / generation} does not exist")
        try:
            ix = self._open(generation)
            if ix.is_corrupted():
                return IndexHealth(False, "corrupt: a segment file is missing or damaged")
            with ix.reader() as reader:
                count = sum(1 for _ in reader.all_stored_fields())
                for fieldname in ("title", "body", "title_exact"):
                    for _ in reader.lexicon(fieldname):
                        pass
                if count != reader.doc_count():
                    return IndexHealth(False, "corrupt: stored documents do not match the count")
        except IndexUnavailable as exc:
            return IndexHealth(False, f"missing: {exc}")
        except Exception as exc:  # any failure to read means "rebuild", whatever its type
            return IndexHealth(False, f"corrupt: {type(exc).__name__}: {exc}")
        return IndexHealth(True, "ok", count)
