"""Result snippets: the best passage of an article, HTML-escaped, with the query's words in <mark>."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from kb.search.analysis import WORD_PATTERN, fold, stem

__all__ = ["snippet_html"]

_SCAN_LIMIT = 20_000  # characters of an article looked at: snippets come from the first screens anyway
_WORD_RE = re.compile(WORD_PATTERN)


@lru_cache(maxsize=256)
def _candidates_re(stems: frozenset[str]) -> re.Pattern[str] | None:
    # A Snowball stem is (nearly always) a prefix of its words, so a C-speed regex finds the few
    # candidates and only those go through the Python stemmer. English stems ending in "i" come from
    # words ending in "y" ("happi" ← "happy"); "е" also stands for "ё" in the text.
    prefixes = {s[:-1] if s.endswith("i") and len(s) > 2 else s for s in stems if s}
    if not prefixes:
        return None
    parts = sorted((re.escape(p).replace("е", "[её]") for p in prefixes), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")[\w\u0300-\u036f]*", re.IGNORECASE)


def _matches(text: str, stems: set[str]) -> list[tuple[int, int, str]]:
    pattern = _candidates_re(frozenset(stems))
    if pattern is None:
        return []
    found = []
    for match in pattern.finditer(text, 0, _SCAN_LIMIT):
        word_stem = stem(fold(match.group()))
        if word_stem in stems:
            found.append((match.start(), match.end(), word_stem))
    return found


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


def snippet_html(text: str, stems: set[str], width: int = 220) -> str:
    """Escaped passage of `text` with matched words wrapped in <mark>; safe to emit as HTML."""
    text = " ".join(text[: _SCAN_LIMIT * 2].split())
    matches = _matches(text, stems)
    start, end = _cut(text, _best_window(matches, width) if matches else 0, width)
    parts = ["…" if start > 0 else ""]
    position = start
    for m_start, m_end, _ in matches:
        if m_start < start or m_end > end:
            continue
        parts += [escape(text[position:m_start]), "<mark>", escape(text[m_start:m_end]), "</mark>"]
        position = m_end
    parts += [escape(text[position:end]), "…" if end < len(text) else ""]
    return "".join(parts)
