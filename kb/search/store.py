"""The index on disk: generations swapped in atomically, one writer at a time, health checks, searchers,
and damaged files turned into IndexUnavailable (see kb.search.integrity) rather than a crash."""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import shutil
import struct
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage, StorageError
from whoosh.searching import Searcher
from whoosh.util.filelock import FileLock, try_for

from kb.search.busy import NotReady
from kb.search.integrity import GENERATION_NAME, INDEX_NAME, Damaged, file_states, verify
from kb.search.model import IndexDoc, IndexHealth
from kb.search.schema import doc_fields, index_version, make_schema
from kb.search.segment import FreshWriter
from kb.search.semantic import Embedder, with_vectors

__all__ = ["IndexStore", "IndexUnavailable"]

_CURRENT = "CURRENT"
_VERSION = "kb-schema-version"
_LOCK = "write.lock"
# What reading garbage raises in Whoosh's decoders. Such an error always means "rebuild"; any other
# error does too when the generation's files turn out damaged (see IndexStore.searcher).
DATA_ERRORS = (
    OSError,
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    MemoryError,
    StorageError,
    whoosh_index.IndexError,
)

log = logging.getLogger("kb.search")

States = tuple[tuple[str, int, int, int], ...]


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

    Segments are read with plain file reads, never memory-mapped: a mapped file cut short under a
    reader raises SIGBUS, which kills the process, and Whoosh copied every mapped part it opened into
    a buffer of its own, so each pooled searcher held a private copy of the index.
    """

    def __init__(self, root: Path, embedder: Embedder, lock_timeout: float = 30.0, max_idle: int = 8) -> None:
        self.root = Path(root)
        self._current_path = self.root / _CURRENT  # kept: each search stats it, and a join costs µs
        self.embedder = embedder
        self.lock_timeout = lock_timeout
        self.max_idle = max_idle
        self._schema = make_schema()
        self._idle: list[tuple[str, Searcher, States]] = []
        self._idle_lock = threading.Lock()
        # File states of each generation that passed verify(): unchanged files need no second look.
        self._verified: dict[str, States] = {}
        # Generations found damaged (and the reasons already logged): check() reports them, and each
        # damage is logged once rather than on every request that meets it.
        self._damaged: dict[str, set[str]] = {}
        self._current_seen: tuple[tuple[int, int, int, int], str] | None = None  # CURRENT's state, its name

    # --- damage --------------------------------------------------------------------------------

    def _unavailable(self, generation: str, reason: str) -> IndexUnavailable:
        """Record (and log, once per reason) that `generation` is damaged; the caller raises the result."""
        with self._idle_lock:
            seen = self._damaged.setdefault(generation, set())
            first = reason not in seen
            seen.add(reason)
            self._verified.pop(generation, None)
            stale = [entry for entry in self._idle if entry[0] == generation]
            self._idle = [entry for entry in self._idle if entry[0] != generation]
        for _, searcher, _ in stale:
            _close_quietly(searcher)
        if first:
            log.warning("search index %s is damaged: %s; it will be rebuilt", self.root / generation, reason)
        return IndexUnavailable(f"the search index {generation} is damaged: {reason}")

    def _check_files(self, generation: str, verify_changed: bool = True) -> States:
        """The generation's file states after making sure they are whole; raises IndexUnavailable, and
        NotReady when they changed since the last check and `verify_changed` is false."""
        gen_dir = os.path.join(self.root, generation)
        try:
            states = file_states(gen_dir)
        except FileNotFoundError:
            if self._current_or_none() == generation:  # not a rebuild's swap: the live index is gone
                raise self._unavailable(generation, "its directory is gone") from None
            raise IndexUnavailable(f"no index in {gen_dir}") from None
        if self._verified.get(generation) == states:
            return states
        if not verify_changed:
            raise NotReady("the index files changed since they were verified")
        try:
            verify(self._storage(generation), self._schema)
        except Damaged as exc:
            raise self._unavailable(generation, str(exc)) from exc
        except OSError as exc:
            raise IndexUnavailable(f"cannot read the search index in {gen_dir}: {exc}") from exc
        self._verified[generation] = states
        return states

    # --- reading -------------------------------------------------------------------------------

    def current_generation(self) -> str | None:
        """The live generation's name; None when there is no index yet. Raises IndexUnavailable when
        CURRENT holds anything but a generation name. The file is read again only when its state
        changed (a rebuild replaces it: a new inode), so a search costs a stat of it, not a read."""
        try:
            info = os.stat(path := self._current_path)
        except FileNotFoundError:
            return None
        state = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        if (seen := self._current_seen) is not None and seen[0] == state:
            return seen[1]
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        name = raw.decode("utf-8", "replace").strip()
        if not GENERATION_NAME.fullmatch(name):
            # Also when empty: a rebuild writes a name before CURRENT exists, so an empty one is damage.
            raise self._unavailable(_CURRENT, f"it does not name a generation ({raw[:40]!r})")
        # Read after the stat: the name is at least as new as the state it is kept under.
        self._current_seen = (state, name)
        return name

    def _current_or_none(self) -> str | None:
        try:
            return self.current_generation()
        except IndexUnavailable:
            return None

    def _storage(self, generation: str) -> FileStorage:
        return FileStorage(str(self.root / generation), supports_mmap=False)

    def _open(self, generation: str) -> whoosh_index.FileIndex:
        gen_dir = self.root / generation
        try:
            version = (gen_dir / _VERSION).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise IndexUnavailable(f"no index in {gen_dir}") from None
        except (OSError, ValueError) as exc:
            raise self._unavailable(generation, f"{_VERSION} cannot be read ({exc})") from exc
        current = index_version(self.embedder.load())
        if version != current:
            raise IndexUnavailable(f"index schema {version!r} is not the current {current!r}")
        # Our schema object, not the pickled copy: the analyzers are code, and code is what we trust.
        return whoosh_index.FileIndex(self._storage(generation), schema=self._schema, indexname=INDEX_NAME)

    @contextlib.contextmanager
    def searcher(self, open_new: bool = True) -> Iterator[tuple[str, Searcher]]:
        """(generation, searcher) over the latest committed state; searchers are reused between
        calls (opening one costs milliseconds) but never shared by two threads at once. Without
        `open_new`, only a kept searcher of unchanged files will do: NotReady otherwise.

        An error inside the block that comes from damaged files (a decoding error, or any error when
        the files turn out changed and broken) leaves as IndexUnavailable: the caller rebuilds."""
        generation, searcher, states = self._acquire(open_new)
        try:
            yield generation, searcher
        except NotReady:
            self._release(generation, searcher, states)
            raise
        except IndexUnavailable:
            _close_quietly(searcher)
            raise
        except Exception as exc:
            _close_quietly(searcher)
            try:
                self._check_files(generation)
            except IndexUnavailable as damaged:
                raise damaged from exc
            if isinstance(exc, DATA_ERRORS):
                # Whole in structure, yet unreadable inside: damage the structural check cannot see.
                raise self._unavailable(generation, f"{type(exc).__name__}: {exc}") from exc
            raise
        self._release(generation, searcher, states)

    def _acquire(self, open_new: bool) -> tuple[str, Searcher, States]:
        for _ in range(3):
            generation = self.current_generation()
            if generation is None:
                raise IndexUnavailable(f"no search index in {self.root}")
            try:
                return self._acquire_generation(generation, open_new)
            except IndexUnavailable:
                # A rebuild may have swapped generations between reading CURRENT and opening it.
                if self._current_or_none() == generation:
                    raise
        raise IndexUnavailable(f"the search index in {self.root} keeps changing under the reader")

    def _acquire_generation(self, generation: str, open_new: bool) -> tuple[str, Searcher, States]:
        # Checked on every search, pooled searcher or not: a file damaged after a searcher was opened
        # changes its state, and cached postings would otherwise keep answering from a broken index.
        states = self._check_files(generation, verify_changed=open_new)
        with self._idle_lock:
            while self._idle:
                gen, searcher, opened_with = self._idle.pop()
                # Unchanged file states prove it up to date: a commit writes a new table of contents.
                if gen == generation and opened_with == states:
                    return gen, searcher, states
                # Not Searcher.refresh(): it reuses segment readers by segment id, so documents
                # deleted (or replaced) since in an old segment would stay visible. A new commit
                # costs one fresh searcher instead.
                _close_quietly(searcher)
        if not open_new:
            raise NotReady("no searcher of the live index is kept")
        try:
            return generation, self._open(generation).searcher(), states
        except IndexUnavailable:
            raise
        except DATA_ERRORS as exc:
            raise IndexUnavailable(f"cannot open the search index: {exc}") from exc

    def _release(self, generation: str, searcher: Searcher, states: States) -> None:
        with self._idle_lock:
            # CURRENT's name when last read: one replaced since closes at the next search that sees it.
            if self._current_seen and generation == self._current_seen[1] and len(self._idle) < self.max_idle:
                self._idle.append((generation, searcher, states))
                return
        _close_quietly(searcher)

    def close(self) -> None:
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for _, searcher, _ in idle:
            _close_quietly(searcher)

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
        """Write every document into a fresh generation, then swap it in; returns the count. Works
        whatever state the live generation is in: it is never read, only replaced."""
        with self.write_lock():
            previous = self._current_or_none()
            generation = f"gen-{uuid.uuid4().hex[:12]}"
            gen_dir = self.root / generation
            gen_dir.mkdir()
            try:
                count = self._write_generation(gen_dir, docs, progress)
                self._point_to(generation)
            except BaseException:
                shutil.rmtree(gen_dir, ignore_errors=True)
                raise
            keep = {generation}
            if previous is not None and self._whole(previous):
                keep.add(previous)
            self._remove_old_generations(keep)
            with self._idle_lock:
                self._damaged = {name: reasons for name, reasons in self._damaged.items() if name in keep}
        return count

    def _whole(self, generation: str) -> bool:
        try:
            self._check_files(generation)
        except IndexUnavailable:
            return False
        return True

    def _write_generation(self, gen_dir: Path, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None) -> int:
        writer = FreshWriter(whoosh_index.create_in(str(gen_dir), self._schema))
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
        # The previous generation stays until the next rebuild (unless it is damaged): a query that
        # read CURRENT just before the swap may still be opening its files. Searchers notice the new
        # CURRENT on their next use.
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)
                self._verified.pop(child.name, None)

    def apply(self, upserts: Iterable[IndexDoc], deletes: Iterable[int]) -> None:
        """Replace or add `upserts` and remove `deletes` (ids) in one commit of the live generation.
        IndexUnavailable when there is none or it is damaged: rebuild instead."""
        with self.write_lock():
            generation = self.current_generation()
            if generation is None:
                raise IndexUnavailable(f"no search index in {self.root}: rebuild it first")
            self._check_files(generation)
            try:
                writer = self._open(generation).writer(timeout=self.lock_timeout)
            except DATA_ERRORS as exc:
                raise self._unavailable(generation, f"cannot write: {type(exc).__name__}: {exc}") from exc
            try:
                for doc_id in deletes:
                    writer.delete_by_term("id", str(doc_id))
                for doc, vector in with_vectors(upserts, self.embedder):
                    writer.update_document(**doc_fields(doc, vector))
            except BaseException as exc:
                writer.cancel()
                if isinstance(exc, DATA_ERRORS):  # deleting reads the segments' term index
                    raise self._unavailable(generation, f"cannot write: {type(exc).__name__}: {exc}") from exc
                raise
            try:
                writer.commit()
            except DATA_ERRORS as exc:  # a merge reads old segments
                raise self._unavailable(generation, f"cannot commit: {type(exc).__name__}: {exc}") from exc

    # --- health --------------------------------------------------------------------------------

    def check(self) -> IndexHealth:
        """Open everything a query may touch; any failure means the index must be rebuilt."""
        try:
            generation = self.current_generation()
        except IndexUnavailable as exc:
            return IndexHealth(False, f"corrupt: {exc}")
        if generation is None:
            return IndexHealth(False, f"missing: no index in {self.root}")
        if not (self.root / generation).is_dir():
            return IndexHealth(False, f"missing: {self.root / generation} does not exist")
        try:
            self._check_files(generation)
            ix = self._open(generation)
            with ix.reader() as reader:
                count = sum(1 for _ in reader.all_stored_fields())
                for fieldname in ("title", "body", "title_exact"):
                    for _ in reader.lexicon(fieldname):
                        pass
                if count != reader.doc_count():
                    return IndexHealth(False, "corrupt: stored documents do not match the count")
        except IndexUnavailable as exc:
            state = "corrupt" if generation in self._damaged else "missing"
            return IndexHealth(False, f"{state}: {exc}")
        except Exception as exc:  # any failure to read means "rebuild", whatever its type
            return IndexHealth(False, f"corrupt: {type(exc).__name__}: {exc}")
        if self._damaged.get(generation):
            # Damage met by a search that the reads above did not reach: trust the search.
            return IndexHealth(False, f"corrupt: {sorted(self._damaged[generation])[0]}")
        return IndexHealth(True, "ok", count)


def _close_quietly(searcher: Searcher) -> None:
    # Closing a reader of deleted or damaged files may fail too; there is nothing left to release then.
    with contextlib.suppress(Exception):
        searcher.close()
