"""SQLite's writers queued: in order within a process, and across processes on an OS lock beside the database."""

from __future__ import annotations

import asyncio
import fcntl
import os
import queue
import sqlite3
import threading
import weakref

# How long a writer waits for another process's writer before it fails, as SQLite's busy timeout would.
OS_LOCK_TIMEOUT_S = 30

_OPEN: weakref.WeakSet[WriteLock] = weakref.WeakSet()


def lock_file_for(database: str) -> str | None:
    """The file writers lock beside `database`; None for a database no other process can open."""
    if database in ("", ":memory:") or "mode=memory" in database:
        return None
    return f"{database.removeprefix('file:').partition('?')[0]}.write-lock"


class WriteLock:
    """One writer of the database at a time, however many processes and tasks want to write.

    SQLite lets one writer in at a time; the others poll its lock with growing sleeps (1, 2, 5 … 100 ms),
    so a writer may wait long after the lock was let go, and the order is luck. Here this process's
    writers queue on an asyncio lock, and the one at its head takes an flock on a file beside the
    database: uncontended at once (two syscalls), else in a thread (one per lock, kept while it lives:
    starting one costs three times the wait) whose blocking flock returns as soon as the other process
    lets go.
    """

    def __init__(self, database: str) -> None:
        self.path = lock_file_for(database)
        self._fd: int | None = None
        self._requests: queue.SimpleQueue | None = None  # to the waiting thread, started when first needed
        # A lock must not outlive the event loop it was made on (tests start many loops).
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()
        _OPEN.add(self)

    def _in_process(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = asyncio.Lock()
        return turn

    def _file(self) -> int:
        if self._fd is None:
            # Read-only is enough to lock: whoever may read the database may queue for writing it.
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self._closer = weakref.finalize(self, os.close, self._fd)
        return self._fd

    def _wait_in_thread(self, fd: int, loop: asyncio.AbstractEventLoop, taken: asyncio.Future) -> None:
        if self._requests is None:
            self._requests = queue.SimpleQueue()
            threading.Thread(target=_waiting, args=(self._requests,), name="sqlite-write-lock", daemon=True).start()
            # Gone with this lock; the thread keeps no reference to it between requests.
            weakref.finalize(self, self._requests.put, None)
        # The request keeps this lock, and with it the open file, alive until its flock returns.
        self._requests.put((self, fd, loop, taken))

    async def acquire(self) -> None:
        turn = self._in_process()
        await turn.acquire()
        if self.path is None:
            return
        try:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass  # another process's writer has it
        except BaseException:
            turn.release()
            raise
        loop = asyncio.get_running_loop()
        taken = loop.create_future()
        self._wait_in_thread(fd, loop, taken)
        try:
            await asyncio.wait_for(asyncio.shield(taken), OS_LOCK_TIMEOUT_S)
        except BaseException as exc:
            # Cancelled or given up while the thread waits. The thread cannot be stopped; when its flock
            # returns (once the other process lets go) the lock is let go at once, and only then may this
            # process's next writer in, which would otherwise share the flock of the same open file.
            taken.add_done_callback(lambda _taken: self._abandon(fd, turn, _taken))
            if isinstance(exc, TimeoutError):
                raise sqlite3.OperationalError(
                    f"database is locked: another process has written for over {OS_LOCK_TIMEOUT_S} s"
                ) from None
            raise

    def _abandon(self, fd: int, turn: asyncio.Lock, taken: asyncio.Future) -> None:
        try:
            if not taken.cancelled() and taken.exception() is None:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            turn.release()

    def release(self) -> None:
        try:
            if self.path is not None and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._in_process().release()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *_exc: object) -> None:
        self.release()

    def _forget_file(self) -> None:
        """In a forked child: its own open file, else the parent's and the child's flocks would be one."""
        if self._fd is not None:
            self._closer()
            self._fd = None
        self._requests = None  # the parent's thread is not the child's


def _waiting(requests: queue.SimpleQueue) -> None:
    while True:
        request = requests.get()
        if request is None:
            return
        _wait(*request)
        del request


def _wait(_owner: WriteLock, fd: int, loop: asyncio.AbstractEventLoop, taken: asyncio.Future) -> None:
    """In a thread: the blocking flock, its outcome handed to the waiting coroutine's loop."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        failure = None
    except OSError as exc:
        failure = exc
    try:
        loop.call_soon_threadsafe(_settle, taken, failure)
    except RuntimeError:  # the loop is closed: nobody is left to write, so nobody keeps the lock
        if failure is None:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _settle(taken: asyncio.Future, failure: OSError | None) -> None:
    if taken.done():
        return
    if failure is None:
        taken.set_result(None)
    else:
        taken.set_exception(failure)


def _after_fork() -> None:
    for lock in list(_OPEN):
        lock._forget_file()


os.register_at_fork(after_in_child=_after_fork)
