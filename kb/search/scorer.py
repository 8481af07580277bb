"""First-stage ranking: BM25F over every document, one query term at a time, from cached postings."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from kb.search.cache import EngineCache, SegmentData
from kb.search.query import QueryTerm
from kb.search.scoring import Ranking

__all__ = ["Leaf", "Matches", "score_all"]


@dataclass(frozen=True, slots=True)
class Leaf:
    reader: IndexReader
    base: int  # global document number of the segment's first document
    data: SegmentData


@dataclass(slots=True)
class Matches:
    """The scored documents the filter allows: the best `depth` of them, and how many there were."""

    top: list[tuple[float, int]]  # (score, global docnum), best first
    total: int
    idf: dict[QueryTerm, float]
    leaves: list[Leaf]


def leaves(searcher: Searcher, generation: str, cache: EngineCache) -> list[Leaf]:
    found = []
    for reader, base in searcher.reader().leaf_readers():
        if reader.segment() is not None:  # an empty index has a reader without segments
            found.append(Leaf(reader, base, cache.segment(generation, reader)))
    return found


def score_all(
    searcher: Searcher,
    parts: list[Leaf],
    terms: list[QueryTerm],
    mask: bytearray,
    ranking: Ranking,
    depth: int,
) -> Matches:
    channels = {channel.name: channel for channel in ranking.channels}
    avg = {f.name: searcher.avg_field_length(f.name, 1.0) or 1.0 for c in ranking.channels for f in c.fields}
    total_docs = searcher.doc_count_all()
    # A flat list indexed by docnum: cheaper per posting than a dict, and 10k floats are nothing.
    scores = [0.0] * total_docs
    touched: set[int] = set()
    idfs: dict[QueryTerm, float] = {}
    for term in terms:
        channel = channels[term.channel]
        postings = [leaf.data.postings(leaf.reader, term.text, channel.fields, channel.k1, avg) for leaf in parts]
        df = sum(len(p.docs) for p in postings)
        if not df:
            continue
        idf = idfs[term] = math.log(1.0 + (total_docs - df + 0.5) / (df + 0.5))
        weight = idf * term.weight
        for leaf, p in zip(parts, postings, strict=True):
            base = leaf.base
            docs = [doc + base for doc in p.docs] if base else p.docs
            touched.update(docs)
            for doc, sat in zip(docs, p.sats, strict=True):
                scores[doc] += weight * sat
    # (score, -docnum): ties go to the lower document number (the older article), so pages are stable.
    allowed = [(scores[doc], -doc) for doc in touched if mask[doc]]
    top = heapq.nlargest(depth, allowed)
    return Matches([(score, -negated) for score, negated in top], len(allowed), idfs, parts)
