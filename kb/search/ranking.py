"""Second-stage ranking: the first stage's best documents rescored with whole-query evidence."""

from __future__ import annotations

from whoosh.searching import Searcher

from kb.search.analysis import STOP_WORDS, stem, words
from kb.search.query import QueryTerm, UserQuery
from kb.search.scorer import Leaf, Matches
from kb.search.scoring import Ranking

__all__ = ["rerank", "title_stems"]


def title_stems(title: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in words(title) if word not in STOP_WORDS)


def _leaf_of(parts: list[Leaf], docnum: int) -> Leaf:
    for leaf in parts:
        if leaf.base <= docnum < leaf.base + leaf.reader.doc_count_all():
            return leaf
    raise LookupError(docnum)


def rerank(
    searcher: Searcher, matches: Matches, user: UserQuery, terms: list[QueryTerm], ranking: Ranking
) -> list[tuple[int, float]]:
    """(docnum, score) best first. BM25F scores each word on its own; this rewards documents that
    cover the whole question, and titles that say it, words side by side."""
    if not matches.top or not (
        ranking.coverage_bonus or ranking.title_bonus or ranking.title_pair_bonus or ranking.title_focus_bonus
    ):
        return [(doc, score) for score, doc in matches.top]
    stem_channel = next(c.name for c in ranking.channels if c.stemmed)
    # Per typed word: its best idf among its terms (stem, exact form, correction).
    word_idf: dict[int, float] = {}
    word_stems: dict[int, set[str]] = {}
    for term in terms:
        idf = matches.idf.get(term, 0.0)
        word_idf[term.word] = max(word_idf.get(term.word, 0.0), idf)
        if term.channel == stem_channel:
            word_stems.setdefault(term.word, set()).add(term.text)
    mass = sum(word_idf.values()) or 1.0
    stemmed_terms = [t for t in terms if t.channel == stem_channel]
    pairs = [(a, b) for a, b in zip(range(len(user.words)), range(1, len(user.words)), strict=False)]
    rescored = []
    for score, doc in matches.top:
        covered = {t.word for t in stemmed_terms if t in matches.idf and matches.has_term(t, doc)}
        coverage = sum(word_idf[w] for w in covered) / mass
        leaf = _leaf_of(matches.leaves, doc)
        local = doc - leaf.base
        title = leaf.data.title_stems(local, lambda d, r=leaf.reader: title_stems(r.stored_fields(d)["title"]))
        in_title = {w for w, stems in word_stems.items() if stems.intersection(title)}
        title_share = sum(word_idf.get(w, 0.0) for w in in_title) / mass
        pair_share = 0.0
        if pairs and ranking.title_pair_bonus:
            positions = {s: i for i, s in enumerate(title)}
            near = 0
            for a, b in pairs:
                pa = [positions[s] for s in word_stems.get(a, ()) if s in positions]
                pb = [positions[s] for s in word_stems.get(b, ()) if s in positions]
                if any(0 < abs(x - y) <= 2 for x in pa for y in pb):
                    near += 1
            pair_share = near / len(pairs)
        near = 0.0
        if ranking.body_near_bonus:
            body = leaf.data.title_stems(-1 - local, lambda d, r=leaf.reader: title_stems(r.stored_fields(-1 - d)["body"]))
            near = _nearness(title + ("",) * ranking.near_window + body, word_stems, word_idf, ranking)
        all_query_stems = set().union(*word_stems.values()) if word_stems else set()
        focus = sum(1 for s in title if s in all_query_stems) / len(title) if title else 0.0
        factor = (
            1.0
            + ranking.coverage_bonus * coverage**ranking.share_power
            + ranking.title_bonus * title_share**ranking.share_power
            + ranking.title_pair_bonus * pair_share
            + ranking.title_focus_bonus * focus
            + ranking.body_near_bonus * near
        )
        rescored.append((score * factor, doc))
    rescored.sort(key=lambda item: (-item[0], item[1]))
    return [(doc, score) for score, doc in rescored]


def _nearness(tokens, word_stems, word_idf, ranking) -> float:
    where: dict[int, list[int]] = {}
    for pos, tok in enumerate(tokens):
        for w, stems in word_stems.items():
            if tok in stems:
                where.setdefault(w, []).append(pos)
    ws = sorted(word_stems)
    if ranking.near_all_pairs:
        pairs = [(a, b) for i, a in enumerate(ws) for b in ws[i + 1 :]]
    else:
        pairs = list(zip(ws, ws[1:]))
    if not pairs:
        return 0.0
    total = got = 0.0
    for a, b in pairs:
        weight = min(word_idf.get(a, 0.0), word_idf.get(b, 0.0))
        total += weight
        pa, pb = where.get(a), where.get(b)
        if not pa or not pb:
            continue
        dist = min(abs(x - y) for x in pa for y in pb)
        if dist <= ranking.near_window:
            got += weight / dist
    return got / total if total else 0.0
