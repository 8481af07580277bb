"""First-stage ranking: BM25F over every document, one query term at a time, from cached postings."""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from dataclasses import dataclass

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from kb.search.cache import EngineCache, SegmentData, TermPostings
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
    """The scored documents allowed by the filter: the best `depth` of them, and how many there were."""

    top: list[tuple[float, int]]  # (score, global docnum), best first
    total: int
    idf: dict[QueryTerm, float]
    postings: dict[QueryTerm, list[TermPostings]]  # per leaf, for second-stage look-ups
    leaves: list[Leaf]

    def has_term(self, term: QueryTerm, docnum: int) -> bool:
        for leaf, postings in zip(self.leaves, self.postings[term], strict=True):
            local = docnum - leaf.base
            if 0 <= local < leaf.reader.doc_count_all():
                docs = postings.docs
                i = bisect_left(docs, local)
                return i < len(docs) and docs[i] == local
        return False


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
    scores: dict[int, float] = {}
    get = scores.get
    idfs: dict[QueryTerm, float] = {}
    per_term: dict[QueryTerm, list[TermPostings]] = {}
    for term in terms:
        channel = channels[term.channel]
        postings = [
            leaf.data.postings(leaf.reader, term.text, channel.fields, channel.k1, avg) for leaf in parts
        ]
        per_term[term] = postings
        df = sum(len(p.docs) for p in postings)
        if not df:
            continue
        idf = idfs[term] = math.log(1.0 + (total_docs - df + 0.5) / (df + 0.5))
        weight = idf**ranking.idf_power * term.weight
        lift = weight * ranking.delta
        for leaf, p in zip(parts, postings, strict=True):
            base = leaf.base
            if base:
                for doc, sat in zip(p.docs, p.sats, strict=True):
                    doc += base
                    scores[doc] = get(doc, 0.0) + weight * sat + lift
            else:
                for doc, sat in zip(p.docs, p.sats, strict=True):
                    scores[doc] = get(doc, 0.0) + weight * sat + lift
    allowed = [(score, doc) for doc, score in scores.items() if mask[doc]]
    # Ties go to the lower document number (the older article), so pages are stable.
    top = heapq.nlargest(depth, allowed, key=lambda item: (item[0], -item[1]))
    return Matches(top, len(allowed), idfs, per_term, parts)
