"""Search-as-you-type: the words typed so far, the last one possibly unfinished, as a search query.

Suggestions come from the same engine as search (kb.search.index): any of the words, both languages'
stems, typo corrections, the title bonus and meaning. The word still being typed stands for the few
indexed words it begins, each weighted by how common it is beside the most common one, so "pass"
looks for "password" far more than for "passport"; a finished word is searched as typed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

from kb.search.analysis import STOP_WORDS, WORD_PATTERN, fold
from kb.search.query import QueryTerm, UserQuery, parse_user_text
from kb.search.scorer import Leaf
from kb.search.spelling import SPELLING_FIELDS

__all__ = ["COMPLETIONS", "Typed", "complete", "typed", "weigh"]

# Words an unfinished one may become: enough for its likely endings and inflections, few enough that
# the rare ones do not bring in unrelated articles.
COMPLETIONS = 4
_LAST_WORD = re.compile(WORD_PATTERN + r"$")


@dataclass(frozen=True, slots=True)
class Typed:
    finished: UserQuery  # the words before the one being typed
    partial: str  # the folded word being typed, or "" when the text ends after a word


def typed(text: str) -> Typed:
    """Raises QueryTooLong like a search."""
    user = parse_user_text(text)  # checks the length and the number of words
    match = _LAST_WORD.search(text)
    if match is None:
        return Typed(user, "")
    finished = parse_user_text(text[: match.start()])
    partial = fold(match.group())
    content = tuple(word for word in finished.words if word not in STOP_WORDS)
    # A stop word or a single letter after other words is most likely finished or too little to go on.
    if content and (partial in STOP_WORDS or len(partial) < 2):
        return Typed(user, "")
    return Typed(UserQuery(finished.text, content), partial)


def complete(parts: list[Leaf], partial: str, limit: int = COMPLETIONS) -> dict[str, float]:
    """The indexed words `partial` begins (itself included), most used first, with weights: 1 for the
    most used one and for the word as typed when the index has it, else the share of the most used one."""
    if len(partial) < 2 or partial.isdigit():
        return {}
    counts: dict[str, int] = {}
    for leaf in parts:
        ordered, frequency = leaf.data.lexicon(leaf.reader, SPELLING_FIELDS)
        lo = bisect_left(ordered, partial)
        hi = bisect_left(ordered, partial + "\U0010ffff", lo)
        if hi == lo:
            continue
        window = frequency[lo:hi]
        best = np.argsort(-window, kind="stable")[:limit] if hi - lo > limit else range(hi - lo)
        for i in best:
            word = ordered[lo + int(i)]
            counts[word] = counts.get(word, 0) + int(window[i])
    chosen = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    if not chosen:
        return {}
    top = chosen[0][1]
    return {word: 1.0 if word == partial else count / top for word, count in chosen}


def weigh(terms: list[QueryTerm], user: UserQuery, completions: dict[str, float]) -> list[QueryTerm]:
    """The completions' terms count as one word (the one being typed), each at its weight."""
    first = len(user.words) - len(completions)
    index_of = {i: user.words[i] for i in range(first, len(user.words))}
    weighted = []
    for term in terms:
        if term.word >= first:
            term = term._replace(weight=term.weight * completions[index_of[term.word]], word=first)
        weighted.append(term)
    return weighted
