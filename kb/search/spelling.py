"""Typo tolerance: corrections for words the index does not know, and the "did you mean" text."""

from __future__ import annotations

import re

from whoosh.reading import IndexReader

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


def corrections(reader: IndexReader, parts: list[Leaf], words: tuple[str, ...]) -> dict[str, str]:
    """Folded word → the most frequent indexed word one edit away, for words the index lacks."""
    return spell(reader, parts, words)[0]


def spell(reader: IndexReader, parts: list[Leaf], words: tuple[str, ...]) -> tuple[dict[str, str], set[str]]:
    """(corrections as `corrections` returns them, the words the index knows as typed or by their stem).

    A word neither known nor corrected is one the articles never use: its beginning may still match
    other words ("quantum" → "quantities"), which only means something beside words the index knows."""
    vocabularies = [leaf.data.vocabulary(leaf.reader, SPELLING_FIELDS) for leaf in parts]
    found: dict[str, str] = {}
    known: set[str] = set()
    for word in words:
        if any(word in vocab for vocab in vocabularies):
            known.add(word)
            continue
        stemmed = stem(word)
        if any((name, stemmed) in reader for name in STEMMED_FIELDS):
            known.add(word)
            continue
        if len(word) < 3 or word.isdigit():
            continue
        edits = edits1(word)
        candidates = set().union(*(edits & vocab for vocab in vocabularies))
        if candidates:
            found[word] = max(
                sorted(candidates),
                key=lambda c: sum(reader.doc_frequency(name, c) for name in SPELLING_FIELDS),
            )
    return found, known


def did_you_mean(text: str, fixes: dict[str, str]) -> str | None:
    """The user's own text with each misspelt word replaced, or None when nothing was corrected."""
    if not fixes:
        return None

    def replace(match: re.Match[str]) -> str:
        return fixes.get(fold(match.group()), match.group())

    return re.sub(WORD_PATTERN, replace, text).strip()
