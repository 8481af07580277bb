"""Typo tolerance: corrections for words the index does not know, and the "did you mean" text."""

from __future__ import annotations

import re

from kb.search.analysis import WORD_PATTERN, fold, stem
from kb.search.scorer import Leaf

__all__ = ["SPELLING_FIELDS", "corrections", "did_you_mean", "edits1", "spell"]

# Unstemmed fields: a correction must be a real word, and stems are not words (trap 12).
SPELLING_FIELDS = ("title_exact", "body_exact")
# A word the articles only have in another form ("threats" beside "threat") is no typo: its stem
# already matches, and "correcting" it to the nearest indexed word ("threads") only adds noise.
STEMMED_FIELDS = ("title", "summary", "tags", "body")
_CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюя"  # ё is folded to е everywhere
_LATIN = "abcdefghijklmnopqrstuvwxyz"
# Words whose answers a segment keeps (`_segment_answer`), a few hundred bytes each; past this many the
# memo starts again.
_WORDS_KEPT = 10_000
_UNSEEN = object()  # what the memo answers for a word it does not hold (None is an answer)


def edits1(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away (Norvig's method):
    a few hundred set look-ups, far cheaper than scanning the lexicon with an automaton."""
    letters = _CYRILLIC if re.search("[а-я]", word) else _LATIN
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        *(a + b[1:] for a, b in splits if b),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
        *(a + c + b[1:] for a, b in splits if b for c in letters),
        *(a + c + b for a, b in splits for c in letters),
    }


def corrections(parts: list[Leaf], words: tuple[str, ...]) -> dict[str, str]:
    """Folded word → the most frequent indexed word one edit away, for words the index lacks."""
    return spell(parts, words)[0]


def spell(parts: list[Leaf], words: tuple[str, ...]) -> tuple[dict[str, str], set[str]]:
    """(corrections as `corrections` returns them, the words the index knows as typed or by their stem).

    A word neither known nor corrected is one the articles never use: its beginning may still match
    other words ("quantum" → "quantities"), which only means something beside words the index knows."""
    found: dict[str, str] = {}
    known: set[str] = set()
    for word in words:
        answers = [_segment_answer(leaf, word) for leaf in parts]
        if any(answer is None for answer in answers):
            known.add(word)
            continue
        # A word's documents are its segments' documents: its frequency in the index is their sum.
        frequency: dict[str, int] = {}
        for answer in answers:
            for candidate, count in answer:
                frequency[candidate] = frequency.get(candidate, 0) + count
        if frequency:
            found[word] = max(sorted(frequency), key=frequency.__getitem__)
    return found, known


def _segment_answer(leaf: Leaf, word: str) -> tuple[tuple[str, int], ...] | None:
    """None when the segment knows the word as typed or by its stem; else its words one edit away (none
    for a word too short or a number, which are not corrected), each with its document frequency.

    Kept per segment and word: queries share most of their words, and a misspelt word's few hundred
    edits and look-ups cost more than the rest of spelling. A segment's words and frequencies never
    change (deleting documents leaves its terms as they are), and the memo goes with the segment's data."""
    memo = leaf.data.spelling
    answer = memo.get(word, _UNSEEN)
    if answer is not _UNSEEN:
        return answer
    vocabulary = leaf.data.vocabulary(leaf.reader, SPELLING_FIELDS)
    if word in vocabulary or any((name, stem(word)) in leaf.reader for name in STEMMED_FIELDS):
        answer = None
    elif len(word) < 3 or word.isdigit():
        answer = ()
    else:
        answer = tuple(
            (c, sum(leaf.reader.doc_frequency(name, c) for name in SPELLING_FIELDS)) for c in edits1(word) & vocabulary
        )
    if len(memo) >= _WORDS_KEPT:
        memo.clear()
    memo[word] = answer
    return answer


def did_you_mean(text: str, fixes: dict[str, str]) -> str | None:
    """The user's own text with each misspelt word replaced, or None when nothing was corrected."""
    if not fixes:
        return None

    def replace(match: re.Match[str]) -> str:
        return fixes.get(fold(match.group()), match.group())

    return re.sub(WORD_PATTERN, replace, text).strip()
