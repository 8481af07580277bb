"""Concurrent searches: a bounded number run at once, the rest wait briefly or get SearchBusy, caches are shared."""

import gc
import os
import threading
from datetime import UTC, datetime

import anyio
import pytest

from kb.search import IndexDoc, SearchBusy, SearchIndex, run_search
from kb.search.cache import SegmentData
from kb.search.semantic import Embedder

NOW = datetime(2026, 11, 1, tzinfo=UTC)


class HeldEmbedder(Embedder):
    """The real embedder, except that a search's query embedding (done while the search holds its
    searcher) waits until the test lets it go: a search held in the middle, without timing."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.entered = threading.Semaphore(0)
        self.threads: list[int] = []  # of each query's embedding, in order

    def embed(self, text):
        self.threads.append(threading.get_ident())
        if self.holding.is_set():
            with self.lock:
                self.inside += 1
                self.most_inside = max(self.most_inside, self.inside)
            self.entered.release()
            self.release.wait(timeout=60)
            with self.lock:
                self.inside -= 1
        return super().embed(text)


def build(path, embedder, **limits):
    index = SearchIndex(path, embedder=embedder, **limits)
    words = ["refund", "printer", "invoice", "password", "shipping", "label", "account", "billing"]
    index.rebuild(
        IndexDoc(
            n, f"a-{n}", "en", f"{words[n % 8]} guide {n}", "", f"{words[(n * 3) % 8]} steps " * 3, None, (), True, NOW
        )
        for n in range(1, 201)
    )
    # Two segments, so "one copy per segment" is more than one copy.
    index.apply([IndexDoc(900, "a-900", "en", "refund extra", "", "refund", None, (), True, NOW)])
    return index


def opened_segment_files(index):
    """Open descriptors and memory maps of the index's segment files in this process."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.startswith(str(index.path)) and target.endswith(".seg")
    with open("/proc/self/maps") as maps:
        count += sum(1 for line in maps if str(index.path) in line and line.rstrip().endswith(".seg"))
    return count


def test_concurrent_searches_run_two_at_a_time_and_share_one_cache_per_segment(tmp_path):
    embedder = HeldEmbedder()
    index = build(tmp_path / "search", embedder, concurrency=2, queue=64, thread_wait=60)
    index.search("refund", "en")
    generation = (index.path / "CURRENT").read_text()
    segments = len(list((index.path / generation).glob("*.seg")))
    assert segments == 2
    queries = ["refund", "printer", "invoice", "password", "shipping", "label", "account", "billing"]
    start = threading.Barrier(32)
    errors, totals = [], []

    def client(n):
        start.wait()
        try:
            totals.append(index.search(f"{queries[n % 8]} {queries[(n // 8) % 8]}", "en").total)
        except Exception as exc:  # any error at all fails the test
            errors.append(exc)

    embedder.holding.set()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for _ in range(2):
        assert embedder.entered.acquire(timeout=60)
    # Two searches are inside, thirty wait: only two searchers' worth of segment files are open.
    assert embedder.inside == 2
    assert opened_segment_files(index) <= 2 * segments
    embedder.release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(totals) == 32 and all(totals)
    assert embedder.most_inside == 2
    gc.collect()
    cached = [obj for obj in gc.get_objects() if isinstance(obj, SegmentData) and obj.key[0] == generation]
    assert len(cached) == segments
    # The searchers kept between calls are capped too.
    assert opened_segment_files(index) <= 2 * segments
    index.close()


def test_a_full_queue_answers_search_busy_at_once(tmp_path):
    embedder = HeldEmbedder()
    index = build(tmp_path / "search", embedder, concurrency=1, queue=0)
    embedder.holding.set()
    held = threading.Thread(target=index.search, args=("refund", "en"))
    held.start()
    assert embedder.entered.acquire(timeout=60)
    with pytest.raises(SearchBusy) as busy:
        index.search("printer", "en")
    assert busy.value.retry_after >= 1
    with pytest.raises(SearchBusy):
        index.suggest("pri", "en")
    embedder.release.set()
    held.join(timeout=60)
    embedder.holding.clear()
    assert index.search("printer", "en").total > 0
    index.close()


def test_a_waiting_search_gives_up_after_the_wait(tmp_path):
    embedder = HeldEmbedder()
    index = build(tmp_path / "search", embedder, concurrency=1, queue=4, thread_wait=0.05)
    embedder.holding.set()
    held = threading.Thread(target=index.search, args=("refund", "en"))
    held.start()
    assert embedder.entered.acquire(timeout=60)
    with pytest.raises(SearchBusy):
        index.search("printer", "en")  # queued, but the slot is not freed within 0.05 s
    embedder.release.set()
    held.join(timeout=60)
    index.close()


async def test_run_search_waits_on_the_event_loop_and_refuses_beyond_the_queue(tmp_path):
    embedder = HeldEmbedder()
    index = build(tmp_path / "search", embedder, concurrency=1, queue=1, wait=60)
    embedder.holding.set()
    results = []

    async def search(q):
        results.append((await run_search(index, index.search, q, "en")).total)

    async with anyio.create_task_group() as group:
        group.start_soon(search, "refund")
        await anyio.to_thread.run_sync(embedder.entered.acquire)
        group.start_soon(search, "printer")  # waits for the slot: the queue holds one
        while index.limiter.statistics().tasks_waiting < 1:
            await anyio.sleep(0)  # a checkpoint, not a delay: lets the second task reach the queue
        with pytest.raises(SearchBusy):
            await run_search(index, index.search, "invoice", "en")
        embedder.release.set()
    assert len(results) == 2 and all(results)
    index.close()


async def test_a_warm_index_is_searched_on_the_event_loop_and_a_cold_one_in_a_thread_that_warms_it(tmp_path):
    embedder = HeldEmbedder()
    index = build(tmp_path / "search", embedder)
    loop = threading.get_ident()
    # Never warmed up: the first search opens a searcher and decodes the segments, off the loop.
    assert (await run_search(index, index.search, "refund", "en")).total > 0
    assert embedder.threads[-1] != loop
    # Now warm: the next searches and suggestions run right here, with the same answers.
    warm = await run_search(index, index.search, "refund", "en")
    assert embedder.threads[-1] == loop
    assert warm == index.search("refund", "en")
    assert [s.slug for s in await run_search(index, index.suggest, "refu", "en")]
    assert embedder.threads[-1] == loop
    # A new segment since the warm-up: searched in a thread again, which finds the new article...
    index.apply([IndexDoc(901, "a-901", "en", "zebra crossing", "", "zebra", None, (), True, NOW)])
    found = await run_search(index, index.search, "zebra", "en")
    assert [hit.slug for hit in found.results] == ["a-901"]
    assert embedder.threads[-1] != loop
    # ...and warms it for the searches after it.
    assert (await run_search(index, index.search, "zebra", "en")).total == 1
    assert embedder.threads[-1] == loop
    index.close()


async def test_a_search_never_waits_for_a_slot_on_the_event_loop(tmp_path):
    embedder = HeldEmbedder()
    index = build(tmp_path / "search", embedder, concurrency=1, thread_wait=60)
    index.warm_up()
    warm_ups = []
    index.warm_up = lambda: warm_ups.append(1)  # the index is warm: a busy slot is no reason to warm it
    embedder.holding.set()
    held = threading.Thread(target=index.search, args=("refund", "en"))
    held.start()
    assert embedder.entered.acquire(timeout=60)
    results = []

    async def search():
        results.append(await run_search(index, index.search, "printer", "en"))

    async with anyio.create_task_group() as group:
        group.start_soon(search)
        # The only slot is taken: the search went to a worker thread (it holds the loop's token for one)
        # instead of waiting here, where it would hold up the loop and this test with it.
        while index.limiter.borrowed_tokens < 1:
            await anyio.sleep(0)
        embedder.release.set()
    held.join(timeout=60)
    assert results[0].total > 0
    assert len(embedder.threads) == 2 and threading.get_ident() not in embedder.threads
    assert warm_ups == []
    index.close()
