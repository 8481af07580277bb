"""The index as derived data: rebuild and swap, incremental changes, health checks, fingerprints."""

import shutil
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kb.search import IndexDoc, IndexUnavailable, SearchIndex, cache, fingerprint_of, stored
from kb.search.cache import FieldWeight
from kb.search.scoring import Channel, Ranking

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def doc(id, title, body="", locale="en", public=True):
    return IndexDoc(id, f"a-{id}", locale, title, "", body, None, (), public, NOW)


def found(index, query, locale="en", **kw):
    return [hit.id for hit in index.search(query, locale, per_page=50, **kw).results]


@pytest.fixture
def index(tmp_path):
    index = SearchIndex(tmp_path / "search")
    index.rebuild([doc(1, "Reset your password"), doc(2, "Refund timelines"), doc(3, "Invoice copies")])
    yield index
    index.close()


def generations(index):
    return sorted(p.name for p in index.path.iterdir() if p.is_dir() and p.name.startswith("gen-"))


def test_rebuild_swaps_in_a_fresh_index(index):
    before = generations(index)
    assert found(index, "refund") == [2]
    count = index.rebuild([doc(10, "Shipping times"), doc(11, "Refund policy for shipping")])
    assert count == 2
    assert found(index, "refund") == [11]
    assert found(index, "password") == []
    assert index.doc_count() == 2
    after = generations(index)
    assert len(after) <= 2 and after != before
    index.rebuild([doc(12, "Third build")])
    assert len(generations(index)) == 2 and not set(before) & set(generations(index))


def test_rebuild_reports_progress(tmp_path):
    seen = []
    SearchIndex(tmp_path / "s").rebuild((doc(n, f"Article {n}") for n in range(1200)), progress=seen.append)
    assert seen[-1] == 1200 and seen == sorted(seen)


def test_readers_never_see_a_half_built_index(index):
    """Searches running while the index is rebuilt again and again see the old or the new one, whole."""
    errors, counts = [], set()
    stop = threading.Event()

    def search_loop():
        while not stop.is_set():
            try:
                counts.add(index.search("guide", "en", per_page=1).total)
            except Exception as exc:  # anything at all is a failure here
                errors.append(exc)

    threads = [threading.Thread(target=search_loop) for _ in range(3)]
    for thread in threads:
        thread.start()
    for round in range(6):
        size = 40 if round % 2 else 80
        index.rebuild(doc(n, f"Guide number {n}") for n in range(size))
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert counts <= {0, 40, 80}


def test_a_deleted_index_is_reported_and_rebuilt(index):
    assert index.check().ok and index.check().doc_count == 3
    found(index, "refund")  # a cached searcher exists and must not hide the loss
    shutil.rmtree(index.path)
    health = index.check()
    assert not health.ok and "missing" in health.reason
    with pytest.raises(IndexUnavailable):
        index.search("refund", "en")
    with pytest.raises(IndexUnavailable):
        index.apply([doc(4, "x")], [])
    index.rebuild([doc(2, "Refund timelines")])
    assert index.check().ok
    assert found(index, "refund") == [2]


def test_a_missing_generation_directory_is_reported(index):
    for name in generations(index):
        shutil.rmtree(index.path / name)
    assert not index.check().ok
    with pytest.raises(IndexUnavailable):
        index.search("refund", "en")


def test_a_truncated_segment_is_reported_as_corrupt(index):
    (gen,) = generations(index)
    files = sorted((index.path / gen).iterdir(), key=lambda p: p.stat().st_size, reverse=True)
    victim = next(p for p in files if p.suffix not in {".toc", ".lock"} and not p.name.startswith("kb-"))
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 3])
    health = index.check()
    assert not health.ok and "corrupt" in health.reason
    index.rebuild([doc(1, "Reset your password")])
    assert index.check().ok


def test_apply_upserts_and_deletes(index):
    index.apply(upserts=[doc(2, "Return shipping labels"), doc(4, "Refund to a gift card")], deletes=[3])
    assert found(index, "refund") == [4]
    assert found(index, "return labels") == [2]
    assert found(index, "invoice") == []
    assert index.doc_count() == 3
    index.apply(deletes=[4])
    assert found(index, "refund") == []


def test_apply_can_unpublish(index):
    index.apply(upserts=[replace(doc(1, "Reset your password"), public=False)])
    assert found(index, "password") == []
    assert found(index, "password", public_only=False) == [1]
    assert index.suggest("reset", "en") == []


def test_concurrent_writers_all_land(index):
    def write(start):
        for n in range(start, start + 5):
            index.apply(upserts=[doc(n, f"Concurrent article {n}")])

    threads = [threading.Thread(target=write, args=(100 + 10 * t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(found(index, "concurrent")) == [100 + 10 * t + n for t in range(4) for n in range(5)]


def test_versions_and_fingerprint_follow_the_documents(index):
    assert index.versions() == {1: NOW, 2: NOW, 3: NOW}
    assert index.fingerprint() == fingerprint_of({1: NOW, 2: NOW, 3: NOW})
    later = NOW + timedelta(minutes=5)
    index.apply(upserts=[replace(doc(2, "Refund timelines"), updated_at=later)])
    assert index.versions()[2] == later
    assert index.fingerprint() != fingerprint_of({1: NOW, 2: NOW, 3: NOW})
    assert index.fingerprint() == fingerprint_of({1: NOW, 2: later, 3: NOW})


def test_an_empty_index_answers_nothing(tmp_path):
    index = SearchIndex(tmp_path / "empty")
    index.rebuild([])
    assert index.check().ok
    assert index.search("anything", "en").total == 0
    assert index.suggest("any", "en") == []
    assert index.doc_count() == 0


def test_a_never_built_index_is_unavailable(tmp_path):
    index = SearchIndex(tmp_path / "never")
    assert not index.check().ok
    with pytest.raises(IndexUnavailable):
        index.search("x", "en")


@pytest.mark.parametrize("warm", ["cold", "whole segment decoded", "frequent words decoded"])
def test_frequent_words_find_every_live_article_and_no_replaced_or_deleted_one(tmp_path, monkeypatch, warm):
    """Postings long enough to span many blocks, in a segment with deletions, read cold or warmed up: the
    whole segment decoded end to end, or (a segment too large for that) its frequent words only."""
    if warm == "frequent words decoded":
        monkeypatch.setattr(cache, "_PACKED_POSTINGS", 0)
        monkeypatch.setattr(cache, "_PREFETCH_MIN_DOCS", 2)
    index = SearchIndex(tmp_path / "search")
    index.rebuild(doc(n, f"Guide {n}", "printer " * (1 + n % 3)) for n in range(1, 601))
    index.apply(upserts=[doc(n, f"Guide {n}", "scanner") for n in range(1, 601, 7)], deletes=range(2, 601, 5))
    if warm != "cold":
        index.warm_up()
    # Deleted after the warm-up: the decoded postings still hold it, the search must not show it.
    index.apply(deletes=[3])
    live = {n for n in range(1, 601) if n % 7 != 1 and n % 5 != 2 and n != 3}
    pages = [index.search("printer", "en", page=page, per_page=100) for page in range(1, 7)]
    assert {page.total for page in pages} == {len(live)}
    ranked = [hit.id for page in pages for hit in page.results]
    assert sorted(ranked) == sorted(live)
    # Three mentions outrank two, two outrank one.
    assert [n % 3 for n in ranked] == sorted((n % 3 for n in live), reverse=True)
    scanners = index.search("scanner", "en", per_page=100).results
    assert sorted(hit.id for hit in scanners) == list(range(1, 601, 7))  # replaced, not deleted, by the same commit
    index.close()


def test_the_title_bonus_follows_changed_titles(tmp_path):
    # Titles weigh nothing in the first stage here, so only the second stage's title bonus orders the hits.
    first_stage = Channel("all", "stem", (FieldWeight("title", 0.0, 0.4), FieldWeight("body", 1.0, 0.8)))
    index = SearchIndex(tmp_path / "search", Ranking(channels=(first_stage,), title_bonus=1.0, semantic_weight=0.0))
    index.rebuild([doc(1, "Shipping times", "refund invoice"), doc(2, "Refund invoice", "refund invoice")])
    assert found(index, "refund invoice") == [2, 1]
    index.apply(upserts=[doc(1, "Invoice refund", "refund invoice"), doc(2, "Parcel labels", "refund invoice")])
    assert found(index, "refund invoice") == [1, 2]
    index.close()


def test_hits_show_the_current_title_and_text_after_changes(tmp_path):
    index = SearchIndex(tmp_path / "search")
    index.rebuild([doc(1, "Printer setup", "Plug the printer in."), doc(2, "Scanner setup", "Plug the scanner in.")])
    index.warm_up()
    assert [h.title for h in index.search("printer", "en").results] == ["Printer setup"]
    index.apply(upserts=[doc(1, "Printer installation", "Unbox the printer first.")])
    index.warm_up()
    (hit,) = index.search("printer", "en").results
    assert hit.title == "Printer installation" and "Unbox the <mark>printer</mark> first" in hit.snippet_html
    index.close()


def test_snippets_are_right_when_the_texts_kept_in_memory_are_few(tmp_path, monkeypatch):
    monkeypatch.setattr(stored, "TEXT_BUDGET", 2_000)  # characters per segment: room for a few articles
    index = SearchIndex(tmp_path / "search")
    index.rebuild(doc(n, f"Guide {n}", f"Step {n}: restart the printer. " * 20) for n in range(1, 41))
    index.warm_up()
    results = index.search("printer", "en", per_page=50).results
    assert len(results) == 40
    assert all(f"Step {hit.id}: restart the <mark>printer</mark>" in hit.snippet_html for hit in results)
    index.close()


def test_kept_texts_stay_within_their_budget_and_are_read_again_when_dropped():
    texts = stored.StoredTexts(budget=100)
    for n in range(10):
        texts.put(n, "x" * 30)
    assert texts.size <= 100
    reads = []
    assert texts.get(0, lambda: reads.append(0) or "read again") == "read again" and reads == [0]
    assert texts.get(9, lambda: reads.append(9) or "never") == "x" * 30 and reads == [0]
