"""Second-stage ranking: the first stage's best documents rescored by how much of the query the title
states, then by how close their meaning is to the query's."""

from __future__ import annotations

import numpy as np

from kb.search.query import QueryTerm
from kb.search.scorer import Matches
from kb.search.scoring import Ranking

__all__ = ["TITLE_FIELD", "rerank"]

# The stemmed title field holds exactly the title's stems, stop words left out.
TITLE_FIELD = "title"


def _title_shares(matches: Matches, docs: list[int], terms: list[QueryTerm], ranking: Ranking) -> list[float]:
    """Per document of `docs`: the share of the query's words, weighted by idf, its title has."""
    stem_channels = {channel.name for channel in ranking.channels if channel.form == "stem"}
    # Per typed word: its largest idf among its terms, and the stems that stand for it.
    word_idf: dict[int, float] = {}
    words_of: dict[str, set[int]] = {}  # a stem -> the typed words it stands for
    for term in terms:
        word_idf[term.word] = max(word_idf.get(term.word, 0.0), matches.idf.get(term, 0.0))
        if term.channel in stem_channels:
            words_of.setdefault(term.text, set()).add(term.word)
    mass = sum(word_idf.values()) or 1.0
    every_stem = frozenset(words_of)
    # Each segment's titles with its range of document numbers, searched inline: a function call per
    # document (leaf_of) was a good part of the loop.
    titles = [
        (leaf.base, leaf.base + leaf.size, leaf.data.doc_terms(leaf.reader, TITLE_FIELD)) for leaf in matches.leaves
    ]
    # Titles share few combinations of the query's stems: each combination's share is worked out once.
    share_of: dict[frozenset[str], float] = {frozenset(): 0.0}
    shares = []
    for doc in docs:
        for base, end, of in titles:
            if base <= doc < end:
                found = every_stem & of[doc - base]
                break
        else:
            raise LookupError(f"document {doc} is in none of the searched segments")
        share = share_of.get(found)
        if share is None:
            said = {word for stem in found for word in words_of[stem]}
            # Summed in the order of the query's words (their indexes), whatever the order of the stems.
            share = share_of[found] = sum(word_idf[word] for word in sorted(said)) / mass
        shares.append(share)
    return shares


def _cosines(matches: Matches, docs: list[int], query_vector: np.ndarray) -> list[float]:
    """Per document of `docs`: its vector's cosine with the query's (both unit length), a segment at a time."""
    numbers = np.asarray(docs, dtype=np.intp)
    if len(matches.leaves) == 1:  # one segment, as after a rebuild: no per-segment masks to make
        leaf = matches.leaves[0]
        return (leaf.data.vectors(leaf.reader)[numbers - leaf.base].astype(np.float32) @ query_vector).tolist()
    cosines = np.zeros(len(docs), dtype=np.float32)
    for leaf in matches.leaves:
        inside = (numbers >= leaf.base) & (numbers < leaf.base + leaf.size)
        if inside.any():
            rows = leaf.data.vectors(leaf.reader)[numbers[inside] - leaf.base]
            cosines[inside] = rows.astype(np.float32) @ query_vector
    return cosines.tolist()


def rerank(
    matches: Matches, terms: list[QueryTerm], ranking: Ranking, query_vector: np.ndarray | None
) -> list[tuple[int, float]]:
    """(docnum, score), best first.

    The first stage's best `ranking.depth` documents are rescored; the rest follow in first-stage
    order, so every page of a search is cut from one ranking. BM25F saturates each word on its own,
    so the title bonus (× 1 + bonus × title share) rewards the title that states the whole question.
    Scores are then taken relative to the best one and the cosine of meanings is added: words decide
    among clearly different matches, meaning among close ones and for documents that say the same
    thing in other words."""
    if not matches.top:
        return []
    head, tail = matches.top[: ranking.depth], matches.top[ranking.depth :]
    docs = [doc for _, doc in head]
    shares = _title_shares(matches, docs, terms, ranking) if ranking.title_bonus else [0.0] * len(docs)
    scores = [score * (1.0 + ranking.title_bonus * share) for (score, _), share in zip(head, shares, strict=True)]
    best = max(scores) or 1.0
    if ranking.semantic_weight and query_vector is not None:
        cosines = _cosines(matches, docs, query_vector)
        scores = [score / best + ranking.semantic_weight * cos for score, cos in zip(scores, cosines, strict=True)]
    else:
        scores = [score / best for score in scores]
    # Ties go to the lower document number, so pages stay stable between requests.
    # Sorted as (-score, doc) pairs, without a key function per item; negating is exact both ways.
    ranked = sorted(zip([-score for score in scores], docs, strict=True))
    floor = -ranked[-1][0]
    result = [(doc, -negated) for negated, doc in ranked]
    for score, doc in tail:  # relative scores too, never above the one before
        floor = min(floor, score / best)
        result.append((doc, floor))
    return result
