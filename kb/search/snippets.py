"""Result snippets: the best passage of an article, HTML-escaped, with the query's words in <mark>."""

from __future__ import annotations

import re
from html import escape

from kb.search.analysis import WORD_PATTERN, fold, stem

__all__ = ["Highlighter", "snippet_text"]

_SCAN_LIMIT = 20_000  # characters of an article looked at: snippets come from the first screens anyway
_WIDTH = 220
# A snippet starts at most a little before its first match within _SCAN_LIMIT and is _WIDTH long:
# nothing past this many characters of the folded text can be shown.
_KEPT = _SCAN_LIMIT + 4 * _WIDTH
_WORD_TAIL = re.compile(WORD_PATTERN)


def _prefixes(stems: set[str]) -> list[str]:
    # A Snowball stem is (nearly always) a prefix of its words, so finding the prefixes finds the few
    # candidates and only those go through the Python stemmer. English stems ending in "i" come from
    # words ending in "y" ("happi" ← "happy").
    return sorted({s[:-1] if s.endswith("i") and len(s) > 2 else s for s in stems if s})


def _best_window(matches: list[tuple[int, int, str]], width: int) -> int:
    """Start offset of the window of `width` characters that covers the most distinct stems."""
    counts: dict[str, int] = {}
    best_start, best_distinct, ahead = matches[0][0], 0, 0
    for start, _, word_stem in matches:
        while ahead < len(matches) and matches[ahead][1] <= start + width:
            counts[matches[ahead][2]] = counts.get(matches[ahead][2], 0) + 1
            ahead += 1
        if len(counts) > best_distinct:
            best_start, best_distinct = start, len(counts)
        if counts.get(word_stem, 0) > 1:
            counts[word_stem] -= 1
        else:
            counts.pop(word_stem, None)
    return best_start


def _cut(text: str, start: int, width: int) -> tuple[int, int]:
    # Begin a little before the first match, on a word boundary, and end on one too.
    start = max(0, start - width // 5)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    return start, end


def snippet_text(text: str) -> str:
    """What of an article's text a snippet may come from: whitespace folded to single spaces, cut where
    no snippet reaches. Worth keeping in memory instead of the article (kb.search.stored)."""
    return " ".join(text[: _SCAN_LIMIT * 2].split())[:_KEPT]


class Highlighter:
    """Snippets of one query's hits: what depends on the query alone (the stems' prefixes, the stem of each
    word met in a hit) is worked out once for the page, not once per hit."""

    def __init__(self, stems: set[str]) -> None:
        self.stems = stems
        self._prefixes = _prefixes(stems)
        self._stem_of: dict[str, str] = {}  # a word as written in a hit -> its stem

    def _matches(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, stem) of every word of `text` (within _SCAN_LIMIT) whose stem is one of the query's.

        Prefixes are found with str.find on a folded copy of the same length (lowercase, ё as е): compiling
        a regular expression of the query's stems cost more than the rest of the snippets."""
        if not self._prefixes:
            return []
        # "İ" is the one character whose lowercase is two: replaced first, so offsets stay those of `text`.
        folded = text[:_SCAN_LIMIT].replace("İ", "I").lower().replace("ё", "е")
        find, starts = folded.find, set()
        for prefix in self._prefixes:
            at = find(prefix)
            while at >= 0:
                if at == 0 or not ((before := folded[at - 1]).isalnum() or before == "_"):
                    starts.add(at)
                at = find(prefix, at + 1)
        found = []
        end = 0
        stem_of, stems, word_at = self._stem_of, self.stems, _WORD_TAIL.match
        for start in sorted(starts):
            if start < end:
                continue  # inside the previous word (after a stress mark, which is not a word character)
            end = word_at(folded, start).end()
            word = text[start:end]
            word_stem = stem_of.get(word)
            if word_stem is None:
                word_stem = stem_of[word] = stem(fold(word))
            if word_stem in stems:
                found.append((start, end, word_stem))
        return found

    def html(self, text: str) -> str:
        """Escaped passage of `text` (as `snippet_text` keeps it) with matched words wrapped in <mark>; safe
        to emit as HTML."""
        matches = self._matches(text)
        start, end = _cut(text, _best_window(matches, _WIDTH) if matches else 0, _WIDTH)
        parts = ["…" if start > 0 else ""]
        position = start
        for m_start, m_end, _ in matches:
            if m_start < start or m_end > end:
                continue
            # A matched word is word characters only: nothing in it to escape.
            parts += [escape(text[position:m_start]), "<mark>", text[m_start:m_end], "</mark>"]
            position = m_end
        parts += [escape(text[position:end]), "…" if end < len(text) else ""]
        return "".join(parts)
