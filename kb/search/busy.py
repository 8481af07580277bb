"""How many searches run at once, how many may wait and for how long, and `SearchBusy` for the rest.

Every running search holds a Whoosh searcher (open files, per-reader buffers) and a CPU: with more
running than there are CPUs nothing finishes sooner, memory only grows (anyio's default thread limit
is 40). A search beyond `slots` waits in a bounded queue for a short time; past that the caller gets
SearchBusy at once, which the web layer answers with 503 and Retry-After instead of queueing requests
until they time out anyway.

Two gates with the same size: `slot()` in the worker thread (holds for any caller, threads included)
and `run()` on the event loop, which waits without occupying a thread at all. A search run on the
event loop itself (kb.search.index.run_search) never waits: `slot(wait=False)` raises NotReady when
none is free, and the search goes to a worker thread through `run()`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar

__all__ = ["NotReady", "SearchBusy", "SearchGate"]

T = TypeVar("T")
_ANYIO_THREADS = 40  # anyio's default limit of worker threads


class SearchBusy(RuntimeError):
    """Too many searches are running or waiting: try again after `retry_after` seconds. `code` says
    why, for the reader's message."""

    code = "search_busy"

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__(f"{self.code.replace('_', ' ')}: try again in {retry_after} s")
        self.retry_after = retry_after


class NotReady(Exception):
    """A search asked to run on the event loop needs what must not happen there (a searcher opened, a
    segment new since the warm-up decoded, a wait for a slot): run it in a worker thread instead.
    `cold`: the index wants warming up first (not when only the slots are taken)."""

    def __init__(self, reason: str, *, cold: bool = True) -> None:
        super().__init__(reason)
        self.cold = cold


class SearchGate:
    def __init__(
        self,
        slots: int | None = None,
        queue: int | None = None,
        wait: float = 1.0,
        thread_wait: float = 10.0,
        retry_after: int = 1,
    ) -> None:
        """`slots` searches run at once (default: the CPUs), `queue` more may wait (default: 8 per
        slot, and no fewer than anyio's 40 threads, so a caller that runs searches through plain
        `to_thread.run_sync` is refused only after waiting `wait` seconds), each at most `wait`."""
        self.slots = max(1, slots or os.cpu_count() or 1)
        self.queue = max(0, max(self.slots * 8, _ANYIO_THREADS) if queue is None else queue)
        self.wait = wait
        self.thread_wait = thread_wait
        self.retry_after = retry_after
        self._running = threading.BoundedSemaphore(self.slots)
        self._waiting_lock = threading.Lock()
        self._waiting = 0
        # A CapacityLimiter belongs to one event loop; a RunVar gives each loop (tests run several) its own.
        self._limiter: RunVar[anyio.CapacityLimiter] = RunVar(f"kb-search-limiter-{id(self)}")

    # --- in the worker thread -------------------------------------------------------------------

    @contextlib.contextmanager
    def slot(self, wait: bool = True) -> Iterator[None]:
        """Hold one of the slots while the block runs; raises SearchBusy when none frees up in time,
        NotReady at once when none is free and `wait` is false."""
        if not self._running.acquire(blocking=False):
            if not wait:
                raise NotReady("every search slot is taken", cold=False)
            with self._waiting_lock:
                if self._waiting >= self.queue:
                    raise SearchBusy(self.retry_after)
                self._waiting += 1
            try:
                acquired = self._running.acquire(timeout=self.thread_wait)
            finally:
                with self._waiting_lock:
                    self._waiting -= 1
            if not acquired:
                raise SearchBusy(self.retry_after)
        try:
            yield
        finally:
            self._running.release()

    # --- on the event loop ----------------------------------------------------------------------

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """This event loop's limiter of `slots` tokens, for `anyio.to_thread.run_sync(..., limiter=...)`
        when a caller wants the bound without the queue limit and timeout of `run`."""
        try:
            return self._limiter.get()
        except LookupError:
            limiter = anyio.CapacityLimiter(self.slots)
            self._limiter.set(limiter)
            return limiter

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` in a worker thread once a slot is free; SearchBusy when the queue is full or
        the wait exceeds `wait` seconds. Waiting costs no thread."""
        limiter = self.limiter
        if limiter.available_tokens < 1 and limiter.statistics().tasks_waiting >= self.queue:
            raise SearchBusy(self.retry_after)
        acquired = False
        with anyio.move_on_after(self.wait):
            await limiter.acquire()
            acquired = True
        if not acquired:
            raise SearchBusy(self.retry_after)
        try:
            # Shielded: a client that goes away must not release the slot while its thread still runs.
            with anyio.CancelScope(shield=True):
                return await anyio.to_thread.run_sync(fn, *args)
        finally:
            limiter.release()
