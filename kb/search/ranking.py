"""Second-stage ranking: the first stage's best documents rescored by how much of the query the title states."""

from __future__ import annotations

from kb.search.query import QueryTerm
from kb.search.scorer import Leaf, Matches
from kb.search.scoring import Ranking

__all__ = ["TITLE_FIELD", "rerank"]

# The stemmed title field holds exactly the title's stems, stop words left out.
TITLE_FIELD = "title"


def _leaf_of(parts: list[Leaf], docnum: int) -> Leaf:
    for leaf in parts:
        if leaf.base <= docnum < leaf.base + leaf.reader.doc_count_all():
            return leaf
    raise LookupError(docnum)


def rerank(matches: Matches, terms: list[QueryTerm], ranking: Ranking) -> list[tuple[int, float]]:
    """(docnum, score), best first."""
    if not ranking.title_bonus or not matches.top:
        return [(doc, score) for score, doc in matches.top]
    stem_channels = {channel.name for channel in ranking.channels if channel.stemmed}
    # Per typed word: its largest idf among its terms, and the stems that stand for it.
    word_idf: dict[int, float] = {}
    word_stems: dict[int, set[str]] = {}
    for term in terms:
        word_idf[term.word] = max(word_idf.get(term.word, 0.0), matches.idf.get(term, 0.0))
        if term.channel in stem_channels:
            word_stems.setdefault(term.word, set()).add(term.text)
    mass = sum(word_idf.values()) or 1.0
    rescored = []
    for score, doc in matches.top:
        leaf = _leaf_of(matches.leaves, doc)
        title = leaf.data.doc_terms(leaf.reader, TITLE_FIELD)[doc - leaf.base]
        share = sum(word_idf.get(word, 0.0) for word, stems in word_stems.items() if not stems.isdisjoint(title))
        rescored.append((score * (1.0 + ranking.title_bonus * share / mass), doc))
    # Ties go to the lower document number, so pages stay stable between requests.
    rescored.sort(key=lambda item: (-item[0], item[1]))
    return [(doc, score) for score, doc in rescored]
