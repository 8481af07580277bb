"""Search-as-you-type: titles that contain the typed words, the last one possibly unfinished."""

from __future__ import annotations

from itertools import islice

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from kb.search.analysis import STOP_WORDS, stem, words
from kb.search.cache import read_postings
from kb.search.model import Suggestion
from kb.search.scorer import Leaf

__all__ = ["suggestions"]

_MAX_WORDS = 16
# Expanding a one- or two-letter prefix can touch thousands of words; the first few hundred in
# alphabetical order are plenty to fill a dropdown while the user keeps typing.
_MAX_PREFIX_TERMS = 300


def _docs(reader: IndexReader, field: str, text: str) -> set[int]:
    return set(read_postings(reader, field, text)[0])


def _prefix_docs(reader: IndexReader, prefix: str) -> set[int]:
    found: set[int] = set()
    for btext in islice(reader.expand_prefix("title_exact", prefix), _MAX_PREFIX_TERMS):
        found |= _docs(reader, "title_exact", btext.decode("utf-8"))
    return found


def _typed(prefix: str) -> tuple[list[str], str | None]:
    """(finished words to require, unfinished last word to expand)."""
    typed = words(prefix)[:_MAX_WORDS]
    finished = not prefix[-1:].isalnum()
    last = None if finished or not typed else typed.pop()
    required = [word for word in dict.fromkeys(typed) if word not in STOP_WORDS]
    # Stop words are not indexed: a finished one adds nothing, but as the only word it may still be
    # the start of a real one ("to" → "token"); a single letter is too little to go on.
    if last and ((last in STOP_WORDS and required) or (len(last) < 2 and required)):
        last = None
    return required, last


def suggestions(searcher: Searcher, parts: list[Leaf], mask: bytearray, prefix: str, limit: int) -> list[Suggestion]:
    required, last = _typed(prefix)
    if not required and not last:
        return []
    ranked: list[tuple[int, int]] = []
    for leaf in parts:
        reader = leaf.reader
        candidates: set[int] | None = None
        for word in required:
            docs = _docs(reader, "title", stem(word)) | _docs(reader, "title_exact", word)
            candidates = docs if candidates is None else candidates & docs
            if not candidates:
                break
        if last and (candidates is None or candidates):
            docs = _prefix_docs(reader, last)
            candidates = docs if candidates is None else candidates & docs
        # Shorter titles first: they are the more specific match for what was typed.
        ranked += [
            (reader.doc_field_length(doc, "title", 0) or 0, leaf.base + doc)
            for doc in candidates or ()
            if mask[leaf.base + doc]
        ]
    ranked.sort()
    results = []
    for _, docnum in ranked[:limit]:
        fields = searcher.stored_fields(docnum)
        results.append(Suggestion(fields["slug"], fields["title"]))
    return results
