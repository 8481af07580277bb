"""Data decoded from the index once per segment and reused by every query: norms, postings, words, titles, vectors.

Whoosh answers an OR query by walking a tree of Python matchers per posting, which took 7-80 ms on
10k articles. The scorer instead reads each query word's postings once per segment into two flat
arrays and keeps them here, so a query is a few array walks. Segments never change once written
(only their deletion lists do), so data keyed by segment id stays valid until a merge or rebuild
drops the segment.
"""

from __future__ import annotations

import functools
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher, Matcher
from whoosh.reading import IndexReader, TermNotFound

from kb.search.semantic import DIMENSIONS, decode
from kb.search.stored import HitFields, StoredTexts, hit_fields, snippet_source

__all__ = ["EngineCache", "FieldWeight", "SegmentData", "TermPostings", "read_postings"]

_MAX_CACHED_POSTINGS = 3_000_000  # per segment, ~36 MB of arrays; least recently used words go first
# Warm-up decodes every word of a segment whose (fields, k1) group holds at most this many postings, and
# keeps them end to end (`_Packed`): 10k articles hold about 1.5 million over the three groups, 12 MB
# of arrays.
_PACKED_POSTINGS = 3_000_000
# A group too large for that: warm-up decodes its words in at least this many documents, most frequent
# first, up to a third of the cache; the others are decoded on demand.
_PREFETCH_MIN_DOCS = 50
_PREFETCH_POSTINGS = _MAX_CACHED_POSTINGS // 3


# Tuples rather than frozen dataclasses: a search hashes a group of these per query word and segment
# (looking up its postings) and makes a TermPostings of each, and a dataclass's hash and __init__ run
# in Python, a tuple's in C.
class FieldWeight(NamedTuple):
    name: str
    weight: float
    b: float  # BM25 length normalisation of this field


class TermPostings(NamedTuple):
    docs: np.ndarray  # int32 segment-local document numbers, ascending
    sats: np.ndarray  # float32 BM25F saturated term frequency per document, idf not applied


_EMPTY = TermPostings(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


@dataclass(frozen=True, slots=True)
class _Packed:
    """Every word's postings of one group of a segment, end to end in two arrays: a word is a slice of
    both. A few bytes a posting and one small tuple a word, where a word's own pair of arrays costs
    hundreds of bytes more; and a word the segment lacks is known at once, without asking the reader."""

    spans: dict[str, tuple[int, int]]
    docs: np.ndarray
    sats: np.ndarray

    def get(self, text: str) -> TermPostings:
        span = self.spans.get(text)
        if span is None:
            return _EMPTY
        start, stop = span
        return TermPostings(self.docs[start:stop], self.sats[start:stop])


def read_postings(reader: IndexReader, field: str, text: str) -> tuple[list[int], list[float]]:
    """A term's live documents (ascending) and their term frequencies; empty for an unknown term.

    Whoosh's matcher API costs a few Python calls per posting (id, weight, next): ~0.5 µs each, which
    made decoding the postings of a query's words most of a cold query. The on-disk matcher decodes a
    whole block of ids and weights at a time, so this reads blocks. The block calls are the matcher's
    own internals, stable in the exactly pinned whoosh-ng; the tests of long postings with deletions in
    tests/kb/test_search_index.py fail if an upgrade changes them."""
    try:
        matcher: Matcher = reader.postings(field, text)
    except TermNotFound:
        return [], []
    deleted: frozenset[int] = frozenset()
    if isinstance(matcher, FilterMatcher):
        # Deletions wrap the postings in a per-posting filter: read the postings, drop those ids after.
        deleted, matcher = reader.deleted_docs_set, matcher.child
        matcher.reset()
    ids: list[int] = []
    weights: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids += matcher._ids
            weights += matcher._weights
            matcher._next_block()
    else:  # a word of a single document: its posting is inlined in the term's entry
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    if deleted:
        kept = [i for i, doc in enumerate(ids) if doc not in deleted]
        ids, weights = [ids[i] for i in kept], [weights[i] for i in kept]
    return ids, weights


class SegmentData:
    """Everything cached for one segment; filled lazily, safe to share between threads."""

    def __init__(self, key: tuple[str, str]) -> None:
        self.key = key
        # Set by SearchIndex.warm_up once all a search reads is decoded: searches may run on the loop.
        self.warm = False
        self._lock = threading.Lock()
        self._norms: dict[tuple[str, float], array] = {}
        self._terms: OrderedDict[tuple, TermPostings] = OrderedDict()
        self._packed: dict[tuple[tuple[FieldWeight, ...], float], _Packed] = {}
        self._cached_postings = 0
        self._vocabulary: frozenset[str] | None = None
        self.spelling: dict[str, tuple[tuple[str, int], ...] | None] = {}  # kb.search.spelling's, per word
        self._prefetched = False
        self._doc_terms: dict[str, list[frozenset[str]]] = {}
        self._build_lock = threading.Lock()  # one thread builds per-document data; the others wait
        self._vectors: np.ndarray | None = None
        self._hit_fields: list[HitFields] | None = None
        self._lexicon: tuple[list[str], np.ndarray] | None = None
        self.texts = StoredTexts()

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
        self, reader: IndexReader, fields: tuple[FieldWeight, ...], k1: float, avg_lengths: dict[str, float]
    ) -> Callable[[str], TermPostings]:
        """Word → its postings in all `fields` merged BM25F-style: weighted, normalised, saturated. A search
        gets the function once per group and asks it for each of its words."""
        packed = self._packed.get((fields, k1))
        if packed is not None:
            return packed.get
        return functools.partial(self._postings, reader, fields=fields, k1=k1, avg_lengths=avg_lengths)

    def _postings(
        self,
        reader: IndexReader,
        text: str,
        fields: tuple[FieldWeight, ...],
        k1: float,
        avg_lengths: dict[str, float],
    ) -> TermPostings:
        key = (text, fields, k1)
        with self._lock:
            cached = self._terms.get(key)
            if cached is not None:
                self._terms.move_to_end(key)
                return cached
        postings = self._decode(reader, text, fields, k1, avg_lengths)
        with self._lock:
            self._terms[key] = postings
            self._cached_postings += len(postings.docs)
            while self._cached_postings > _MAX_CACHED_POSTINGS and len(self._terms) > 1:
                _, old = self._terms.popitem(last=False)
                self._cached_postings -= len(old.docs)
        return postings

    def _decode(
        self,
        reader: IndexReader,
        text: str,
        fields: tuple[FieldWeight, ...],
        k1: float,
        avg_lengths: dict[str, float],
    ) -> TermPostings:
        found = []
        for field in fields:
            ids, tfs = read_postings(reader, field.name, text)
            if ids:
                found.append((field, ids, tfs))
        if not found:
            return _EMPTY
        # The longest list (usually the body's) is weighted in one pass; the shorter ones are added
        # to it per document. Most words are in one field only and never need the dict.
        found.sort(key=lambda item: -len(item[1]))
        field, docs, tfs = found[0]
        norms, weight = self.norms(reader, field, avg_lengths[field.name]), field.weight
        values = [weight * tf * norms[doc] for doc, tf in zip(docs, tfs, strict=True)]
        if len(found) > 1:
            combined = dict(zip(docs, values, strict=True))
            get = combined.get
            for field, ids, tfs in found[1:]:
                norms, weight = self.norms(reader, field, avg_lengths[field.name]), field.weight
                for doc, tf in zip(ids, tfs, strict=True):
                    combined[doc] = get(doc, 0.0) + weight * tf * norms[doc]
            docs = sorted(combined) if len(combined) > len(docs) else docs
            values = [combined[doc] for doc in docs]
        saturation = k1 + 1
        return TermPostings(
            np.array(docs, dtype=np.int32),
            np.array([tf * saturation / (tf + k1) for tf in values], dtype=np.float32),
        )

    def vocabulary(self, reader: IndexReader, fieldnames: tuple[str, ...]) -> frozenset[str]:
        """Every unstemmed word of the segment: spelling corrections are chosen from these."""
        if self._vocabulary is None:
            words: set[str] = set()
            for name in fieldnames:
                words.update(reader.field_terms(name))
            self._vocabulary = frozenset(words)
        return self._vocabulary

    def prefetch(
        self,
        reader: IndexReader,
        groups: list[tuple[tuple[FieldWeight, ...], float]],
        avg_lengths: dict[str, float],
    ) -> None:
        """Decode the segment's postings now, for each (fields, k1) group, rather than in searches.

        A query word decoded on demand costs a reader look-up per field (0.1-0.3 ms for a word of
        four fields), which made a never-asked query about twice as dear as one whose words were seen
        before. A group whose postings fit `_PACKED_POSTINGS` is decoded whole (for 10k articles about
        3 s more of the warm-up thread's CPU than the frequent words alone), so no search decodes
        anything; of a larger one, the most frequent words, which hold most of its postings, go into the
        cache, and rare words are decoded on demand."""
        if self._prefetched:
            return
        self._prefetched = True
        wanted: list[tuple[int, str, tuple[FieldWeight, ...], float]] = []
        for fields, k1 in groups:
            frequency: dict[str, int] = {}
            for field in fields:
                for btext, info in reader.iter_field(field.name):
                    text = btext.decode("utf-8")
                    frequency[text] = frequency.get(text, 0) + info.doc_frequency()
            if sum(frequency.values()) <= _PACKED_POSTINGS:
                self._pack(reader, list(frequency), fields, k1, avg_lengths)
            else:
                frequent = [(count, text) for text, count in frequency.items() if count >= _PREFETCH_MIN_DOCS]
                wanted += [(count, text, fields, k1) for count, text in frequent]
        wanted.sort(key=lambda item: -item[0])
        budget = _PREFETCH_POSTINGS
        for count, text, fields, k1 in wanted:
            if count > budget:
                break
            budget -= count
            self._postings(reader, text, fields, k1, avg_lengths)

    def _pack(
        self,
        reader: IndexReader,
        words: list[str],
        fields: tuple[FieldWeight, ...],
        k1: float,
        avg_lengths: dict[str, float],
    ) -> None:
        spans: dict[str, tuple[int, int]] = {}
        docs: list[np.ndarray] = [_EMPTY.docs]
        sats: list[np.ndarray] = [_EMPTY.sats]
        at = 0
        for text in words:
            postings = self._decode(reader, text, fields, k1, avg_lengths)
            if len(postings.docs):
                spans[text] = (at, at + len(postings.docs))
                at += len(postings.docs)
                docs.append(postings.docs)
                sats.append(postings.sats)
        packed = _Packed(spans, np.concatenate(docs), np.concatenate(sats))
        with self._lock:
            self._packed[(fields, k1)] = packed
            # What searches decoded meanwhile is in the packed arrays now.
            for key in [key for key in self._terms if key[1:] == (fields, k1)]:
                self._cached_postings -= len(self._terms.pop(key).docs)

    def lexicon(self, reader: IndexReader, fieldnames: tuple[str, ...]) -> tuple[list[str], np.ndarray]:
        """Every unstemmed word of the segment, sorted, with the number of documents (per field, summed)
        that have it: what an unfinished word may become, most used first (kb.search.suggest)."""
        with self._build_lock:
            if self._lexicon is None:
                frequency: dict[str, int] = {}
                for name in fieldnames:
                    for btext, info in reader.iter_field(name):
                        text = btext.decode("utf-8")
                        frequency[text] = frequency.get(text, 0) + info.doc_frequency()
                ordered = sorted(frequency)
                self._lexicon = (ordered, np.array([frequency[w] for w in ordered], dtype=np.int64))
            return self._lexicon

    def doc_terms(self, reader: IndexReader, field: str) -> list[frozenset[str]]:
        """Each document's indexed terms of a short field (the title's stems), by segment docnum.

        Inverted from the postings in one pass, once per segment (~0.2 s for 10k titles), instead of
        analysing stored titles again in every query: their stemming was most of a cold query's time."""
        with self._build_lock:
            found = self._doc_terms.get(field)
            if found is None:
                terms: list[list[str]] = [[] for _ in range(reader.doc_count_all())]
                for btext in reader.lexicon(field):
                    text = btext.decode("utf-8")
                    for doc in read_postings(reader, field, text)[0]:
                        terms[doc].append(text)
                found = self._doc_terms[field] = [frozenset(words) for words in terms]
            return found

    def vectors(self, reader: IndexReader) -> np.ndarray:
        """Every document's meaning vector (kb.search.semantic), one row per segment docnum, in the half
        precision the index stores (half the memory of float32; a row read is widened exactly)."""
        self._load_stored(reader)
        assert self._vectors is not None
        return self._vectors

    def hit_fields(self, reader: IndexReader) -> list[HitFields]:
        """Every document's short stored fields (kb.search.stored), by segment docnum."""
        self._load_stored(reader)
        assert self._hit_fields is not None
        return self._hit_fields

    def snippet_text(self, reader: IndexReader, doc: int) -> str:
        """The document's snippet text: from memory, else read from the index and kept (within budget)."""
        return self.texts.get(doc, lambda: snippet_source(reader.stored_fields(doc)))

    def _load_stored(self, reader: IndexReader) -> None:
        # One pass over the stored documents fills the vectors, the hit fields and the snippet texts.
        with self._build_lock:
            if self._vectors is not None:
                return
            rows = np.zeros((reader.doc_count_all(), DIMENSIONS), dtype=np.float16)
            fields: list[HitFields] = []
            for doc in range(len(rows)):
                stored = reader.stored_fields(doc)
                rows[doc] = decode(stored.get("vector"))
                fields.append(hit_fields(stored))
                if self.texts.size < self.texts.budget:
                    self.texts.put(doc, snippet_source(stored))
            self._hit_fields = fields
            self._vectors = rows


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
