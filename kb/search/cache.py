"""Data decoded from the index once per segment and reused by every query: norms, postings, words, titles.

Whoosh answers an OR query by walking a tree of Python matchers per posting, which took 7-80 ms on
10k articles. The scorer instead reads each query word's postings once per segment into two flat
arrays and keeps them here, so a query is a few array walks. Segments never change once written
(only their deletion lists do), so data keyed by segment id stays valid until a merge or rebuild
drops the segment.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from whoosh.reading import IndexReader, TermNotFound

__all__ = ["EngineCache", "FieldWeight", "SegmentData", "TermPostings"]

_MAX_CACHED_POSTINGS = 3_000_000  # per segment, ~36 MB of arrays; least recently used words go first


@dataclass(frozen=True, slots=True)
class FieldWeight:
    name: str
    weight: float
    b: float  # BM25 length normalisation of this field


@dataclass(frozen=True, slots=True)
class TermPostings:
    docs: array  # segment-local document numbers, ascending
    sats: array  # BM25F saturated term frequency per document, idf not applied


_EMPTY = TermPostings(array("i"), array("f"))


class SegmentData:
    """Everything cached for one segment; filled lazily, safe to share between threads."""

    def __init__(self, key: tuple[str, str]) -> None:
        self.key = key
        self._lock = threading.Lock()
        self._norms: dict[tuple[str, float], array] = {}
        self._terms: OrderedDict[tuple, TermPostings] = OrderedDict()
        self._cached_postings = 0
        self._vocabulary: frozenset[str] | None = None
        self._title_stems: dict[int, frozenset[str]] = {}

    def norms(self, reader: IndexReader, field: FieldWeight, avg_length: float) -> array:
        """1 / (1 - b + b * length / average) per document: BM25's length normalisation.

        Computed once per segment with the average of that moment: later commits move the average a
        little, and recomputing (and invalidating every cached word) for that is not worth it."""
        key = (field.name, field.b)
        cached = self._norms.get(key)
        if cached is None:
            b, avg = field.b, avg_length or 1.0
            cached = array(
                "f",
                (
                    1.0 / (1.0 - b + b * (reader.doc_field_length(doc, field.name, 0) or 0) / avg)
                    for doc in range(reader.doc_count_all())
                ),
            )
            self._norms[key] = cached
        return cached

    def postings(
        self,
        reader: IndexReader,
        text: str,
        fields: tuple[FieldWeight, ...],
        k1: float,
        avg_lengths: dict[str, float],
    ) -> TermPostings:
        """The word's postings in all `fields` merged BM25F-style: weighted, normalised, saturated."""
        key = (text, fields, k1)
        with self._lock:
            cached = self._terms.get(key)
            if cached is not None:
                self._terms.move_to_end(key)
                return cached
        combined: dict[int, float] = {}
        for field in fields:
            try:
                matcher = reader.postings(field.name, text)
            except TermNotFound:
                continue
            norms, weight, get = self.norms(reader, field, avg_lengths[field.name]), field.weight, combined.get
            while matcher.is_active():
                doc = matcher.id()
                combined[doc] = get(doc, 0.0) + weight * matcher.weight() * norms[doc]
                matcher.next()
        if not combined:
            postings = _EMPTY
        else:
            docs = sorted(combined)
            postings = TermPostings(
                array("i", docs), array("f", (tf * (k1 + 1) / (tf + k1) for tf in map(combined.get, docs)))
            )
        with self._lock:
            self._terms[key] = postings
            self._cached_postings += len(postings.docs)
            while self._cached_postings > _MAX_CACHED_POSTINGS and len(self._terms) > 1:
                _, old = self._terms.popitem(last=False)
                self._cached_postings -= len(old.docs)
        return postings

    def vocabulary(self, reader: IndexReader, fieldnames: tuple[str, ...]) -> frozenset[str]:
        """Every unstemmed word of the segment: spelling corrections are chosen from these."""
        if self._vocabulary is None:
            words: set[str] = set()
            for name in fieldnames:
                words.update(reader.field_terms(name))
            self._vocabulary = frozenset(words)
        return self._vocabulary

    def title_stems(self, docnum: int, load: Callable[[int], frozenset[str]]) -> frozenset[str]:
        stems = self._title_stems.get(docnum)
        if stems is None:
            stems = self._title_stems[docnum] = load(docnum)
        return stems


class EngineCache:
    """SegmentData for every live segment of one index directory, plus per-reader filter masks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._segments: dict[tuple[str, str], SegmentData] = {}
        self._masks: OrderedDict[tuple, bytearray] = OrderedDict()

    def segment(self, generation: str, reader: IndexReader) -> SegmentData:
        key = (generation, reader.segment().segment_id())
        with self._lock:
            data = self._segments.get(key)
            if data is None:
                data = self._segments[key] = SegmentData(key)
            return data

    def forget_except(self, generation: str, live_segment_ids: set[str]) -> None:
        """Drop the data of merged-away segments and old generations."""
        with self._lock:
            for key in [k for k in self._segments if k[0] != generation or k[1] not in live_segment_ids]:
                del self._segments[key]

    def mask(self, signature: tuple, build: Callable[[], bytearray]) -> bytearray:
        """Allowed-document mask (1 = may be returned) for one reader state and one filter."""
        with self._lock:
            mask = self._masks.get(signature)
            if mask is not None:
                self._masks.move_to_end(signature)
                return mask
        mask = build()
        with self._lock:
            self._masks[signature] = mask
            while len(self._masks) > 64:
                self._masks.popitem(last=False)
        return mask
