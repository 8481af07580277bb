"""First-stage ranking: BM25F over every document, one query term at a time, from cached postings."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from kb.search.cache import EngineCache, SegmentData
from kb.search.query import QueryTerm
from kb.search.scoring import Ranking

__all__ = ["Leaf", "Matches", "leaf_of", "leaves", "score_all"]


@dataclass(frozen=True, slots=True)
class Leaf:
    reader: IndexReader
    base: int  # global document number of the segment's first document
    data: SegmentData
    size: int  # documents in the segment, deleted ones included (reader.doc_count_all())


@dataclass(slots=True)
class Matches:
    """The scored documents the filter allows: the best `depth` of them, and how many there were."""

    top: list[tuple[float, int]]  # (score, global docnum), best first
    total: int
    idf: dict[QueryTerm, float]
    leaves: list[Leaf]


def leaf_of(parts: list[Leaf], docnum: int) -> Leaf:
    """The segment a global document number is in."""
    for leaf in parts:
        if leaf.base <= docnum < leaf.base + leaf.size:
            return leaf
    raise LookupError(docnum)


def leaves(searcher: Searcher, generation: str, cache: EngineCache) -> list[Leaf]:
    found = []
    for reader, base in searcher.reader().leaf_readers():
        if reader.segment() is not None:  # an empty index has a reader without segments
            found.append(Leaf(reader, base, cache.segment(generation, reader), reader.doc_count_all()))
    return found


class _Averages(dict[str, float]):
    """Average length of each field, asked of the searcher when first needed: only a word whose postings
    are decoded during the search needs them (kb.search.cache), and asking for every field cost as much
    as looking up a query's postings."""

    def __init__(self, searcher: Searcher) -> None:
        super().__init__()
        self.searcher = searcher

    def __missing__(self, name: str) -> float:
        average = self[name] = self.searcher.avg_field_length(name, 1.0) or 1.0
        return average


def score_all(
    searcher: Searcher,
    parts: list[Leaf],
    terms: list[QueryTerm],
    mask: bytearray,
    ranking: Ranking,
    depth: int,
) -> Matches:
    avg = _Averages(searcher)
    # Each channel's words → postings, per segment: found once a search rather than once a term.
    postings_of = {
        channel.name: [leaf.data.postings(leaf.reader, channel.fields, channel.k1, avg) for leaf in parts]
        for channel in ranking.channels
    }
    total_docs = searcher.doc_count_all()
    # Whole arrays instead of a Python loop per posting: every term's weighted postings are laid end to
    # end and summed per document in one bincount, which adds them in term order, as a loop would (the
    # same float64 sums), at a fraction of the cost of one scatter-add per term.
    # Each term's weight is repeated over its postings rather than multiplied in per term: the same
    # products, two array operations for the query instead of two per term.
    idfs: dict[QueryTerm, float] = {}
    docs: list[np.ndarray] = []
    sats: list[np.ndarray] = []
    weights: list[float] = []
    lengths: list[int] = []
    for term in terms:
        postings = [get(term.text) for get in postings_of[term.channel]]
        df = sum([len(p.docs) for p in postings])
        if not df:
            continue
        idf = idfs[term] = math.log(1.0 + (total_docs - df + 0.5) / (df + 0.5))
        weight = idf * term.weight
        for leaf, p in zip(parts, postings, strict=True):
            if len(p.docs):
                docs.append(p.docs + leaf.base if leaf.base else p.docs)
                sats.append(p.sats)
                weights.append(weight)
                lengths.append(len(p.docs))
    if not docs:
        return Matches([], 0, idfs, parts)
    # Document numbers as the platform's index type, which bincount and indexing would otherwise convert
    # to, each on its own copy; float32 widened while concatenating: the same values, one copy fewer.
    every = np.concatenate(docs, dtype=np.intp)
    values = np.repeat(np.array(weights), lengths) * np.concatenate(sats, dtype=np.float64)
    scores = np.bincount(every, values, minlength=total_docs)
    touched = np.zeros(total_docs, dtype=bool)
    touched[every] = True
    allowed = (touched & np.frombuffer(mask, dtype=bool)).nonzero()[0]
    return Matches(_best(scores, allowed, depth), len(allowed), idfs, parts)


def _best(scores: np.ndarray, docs: np.ndarray, depth: int) -> list[tuple[float, int]]:
    """The `depth` best (score, docnum) of `docs`, best first; ties go to the lower document number
    (the older article), so pages are stable."""
    found = scores[docs]
    if len(docs) > depth:
        # Everything at or above the depth-th best score (ties at the cut included), then sorted exactly.
        cut = np.partition(found, len(found) - depth)[len(found) - depth]
        keep = found >= cut
        docs, found = docs[keep], found[keep]
    order = np.lexsort((docs, -found))[:depth]
    return list(zip(found[order].tolist(), docs[order].tolist(), strict=True))
