"""How documents are scored: BM25F field weights and parameters, and the second-stage bonuses."""

from __future__ import annotations

from dataclasses import dataclass

from kb.search.cache import FieldWeight

__all__ = ["RANKING", "Channel", "Ranking"]


@dataclass(frozen=True, slots=True)
class Channel:
    """One BM25F ranker: the query's words (stemmed or exact) scored over a weighted set of fields,
    with its own idf and saturation. The final first-stage score is the weighted sum of channels."""

    name: str
    stemmed: bool
    fields: tuple[FieldWeight, ...]
    weight: float = 1.0
    k1: float = 1.2


@dataclass(frozen=True, slots=True)
class Ranking:
    channels: tuple[Channel, ...] = (
        # All fields: a word's occurrences are weighted, length-normalised per field and summed before
        # saturation. The title says what an article is about; the body only mentions things.
        Channel(
            "all",
            True,
            (
                FieldWeight("title", 3.0, 0.5),
                FieldWeight("summary", 1.5, 0.5),
                FieldWeight("tags", 1.5, 0.3),
                FieldWeight("body", 1.0, 0.75),
            ),
        ),
        # The same words unstemmed: the exact form typed counts a little extra.
        Channel("exact", False, (FieldWeight("title_exact", 3.0, 0.5), FieldWeight("body_exact", 1.0, 0.75)), 0.3),
    )
    idf_power: float = 1.0
    delta: float = 0.0  # BM25+: a floor every matching word earns, however long the document
    # A corrected spelling counts a little less than what the user typed.
    correction_weight: float = 0.8
    # Second stage, over the best `depth` documents of the first.
    depth: int = 50
    coverage_bonus: float = 0.0  # × share of the query's (idf-weighted) words the article has
    title_bonus: float = 0.0  # × share of the query's words in the title
    title_pair_bonus: float = 0.0  # × share of neighbouring query words that are neighbours in the title
    title_focus_bonus: float = 0.0  # × share of the title's words that the query has
    body_near_bonus: float = 0.0  # × closeness of the query's word pairs in the body
    near_window: int = 8
    near_all_pairs: bool = False
    share_power: float = 1.0


RANKING = Ranking()
