"""How documents are scored: the BM25F channels, their field weights, and the second-stage bonus.

The values were chosen on the dev query sets in /work/shared/data (bench/search_relevance.py) and
are shared by both languages and every kind of article: no per-collection switches.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.search.cache import FieldWeight

__all__ = ["RANKING", "Channel", "Ranking"]


@dataclass(frozen=True, slots=True)
class Channel:
    """One BM25F ranker: the query's words in one form (see `FORMS` in kb.search.analysis) over a weighted
    set of fields, with its own idf and saturation. The first-stage score is the weighted sum of all
    channels."""

    name: str
    form: str
    fields: tuple[FieldWeight, ...]
    weight: float = 1.0
    k1: float = 1.5
    # The channel whose term takes this one's weight for a word that has no form here (a short
    # word's beginning is the word itself), so short and long words weigh alike.
    fallback: str | None = None


@dataclass(frozen=True, slots=True)
class Ranking:
    channels: tuple[Channel, ...] = (
        # A word's occurrences in every field are weighted, length-normalised per field and summed
        # before saturation (true BM25F: ten mentions in the body cannot outweigh one in the title).
        Channel(
            "all",
            "stem",
            (
                FieldWeight("title", 4.0, 0.4),
                FieldWeight("summary", 1.5, 0.5),
                FieldWeight("tags", 1.5, 0.3),
                FieldWeight("body", 1.0, 0.8),
            ),
        ),
        # The same words unstemmed: the form the user typed counts a little extra.
        Channel("exact", "exact", (FieldWeight("title_exact", 4.0, 0.4), FieldWeight("body_exact", 1.0, 0.8)), 0.3),
        # The words' first letters: related words the stemmer keeps apart count a little. A word of
        # five letters or fewer is its own beginning: its exact term takes this weight instead.
        Channel(
            "prefix",
            "prefix",
            (FieldWeight("title_prefix", 4.0, 0.4), FieldWeight("body_prefix", 1.0, 0.8)),
            0.3,
            fallback="exact",
        ),
    )
    # A corrected spelling counts a little less than what the user typed.
    correction_weight: float = 0.8
    # Second stage, over the best `depth` documents of the first: × (1 + bonus × share of the
    # query's words, weighted by idf, that the title has). BM25F saturates each word on its own;
    # this rewards the title that states the whole question.
    depth: int = 50
    title_bonus: float = 0.3
    # Last, each of those documents gets `semantic_weight` × the cosine between its vector and the
    # query's (kb.search.semantic), on top of its score relative to the best one: among articles that
    # match the same words, "when will my order get here" prefers "Order delivery times" to "Order
    # history export".
    semantic_weight: float = 0.7


RANKING = Ranking()
