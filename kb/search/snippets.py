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
    # words ending in "y" ("happi" ← "happy"). A prefix that begins with another one ("лежат", "леж")
    # finds nothing more: only the shortest is searched for, and no two prefixes start at one place.
    kept: list[str] = []
    for prefix in sorted({s[:-1] if s.endswith("i") and len(s) > 2 else s for s in stems if s}):
        # Sorted, the prefixes that begin with a kept one come right after it.
        if not kept or not prefix.startswith(kept[-1]):
            kept.append(prefix)
    return kept


def _best_window(matches: list[tuple[int, int, str]], width: int) -> int:
    """Start offset of the window of `width` characters that covers the most distinct stems."""
    first = matches[0][0]
    if matches[-1][1] <= first + width:
        return first  # the first window holds every match
    most = len({word_stem for _, _, word_stem in matches})  # no window covers more stems than that
    counts: dict[str, int] = {}
    best_start, best_distinct, ahead, total = first, 0, 0, len(matches)
    for start, _, word_stem in matches:
        reach = start + width
        while ahead < total:
            _, end, counted = matches[ahead]
            if end > reach:
                break
            counts[counted] = counts.get(counted, 0) + 1
            ahead += 1
        if len(counts) > best_distinct:
            best_start, best_distinct = start, len(counts)
            if best_distinct == most:
                break  # no window can do better
        if ahead == total:
            break  # the later windows only lose matches
        if counts.get(word_stem, 0) > 1:
            counts[word_stem] -= 1
        else:
            counts.pop(word_stem, None)
    return best_start


def _cut(text: str, start: int, width: int) -> tuple[int, int]:
    # Begin a little before the first match, after a space within 20 characters if there is one, and
    # end on the last space of the window's second half if there is one.
    start -= width // 5
    if start > 0:
        space = text.find(" ", start, start + 20)
        if space >= 0:
            start = space + 1
    else:
        start = 0
    end = start + width
    if end < len(text):
        space = text.rfind(" ", start + width // 2 + 1, end)
        if space >= 0:
            end = space
    else:
        end = len(text)
    return start, end


def snippet_text(text: str) -> str:
    """What of an article's text a snippet may come from: whitespace folded to single spaces, cut where
    no snippet reaches. Worth keeping in memory instead of the article (kb.search.stored)."""
    return " ".join(text[: _SCAN_LIMIT * 2].split())[:_KEPT]


class Highlighter:
    """Snippets of one query's hits: what depends on the query alone (the stems' prefixes, the length and stem
    of each word met in a hit) is worked out once for the page, not once per hit."""

    def __init__(self, stems: set[str]) -> None:
        self.stems = stems
        self._prefixes = _prefixes(stems)
        # A hit's text from a candidate up to the next space -> the length and stem of the word it begins
        # with: a str.find and a slice look a candidate up, cheaper than matching its word's end.
        self._words: dict[str, tuple[int, str]] = {}

    def _matches(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, stem) of every word of `text` (within _SCAN_LIMIT) whose stem is one of the query's.

        Prefixes are found with str.find on a folded copy of the same length (lowercase, ё as е): compiling
        a regular expression of the query's stems cost more than the rest of the snippets, and matching
        one (an alternation tried at every character) more than all the finds."""
        if not self._prefixes:
            return []
        # "İ" is the one character whose lowercase is two: replaced first, so offsets stay those of `text`.
        folded = text[:_SCAN_LIMIT].replace("İ", "I").lower().replace("ё", "е")
        find, starts = folded.find, []
        for prefix in self._prefixes:
            at = find(prefix)
            while at >= 0:
                # A word starts here if the character before is no word character. Most words follow a
                # space, so that test comes first (at 0, the text's last character stands in for none).
                if (before := folded[at - 1]) == " " or at == 0 or not (before.isalnum() or before == "_"):
                    starts.append(at)
                at = find(prefix, at + 1)
        starts.sort()
        found = []
        end = 0
        limit, words, stems = len(folded), self._words, self.stems
        for start in starts:
            if start < end:
                continue  # inside the previous word (after a stress mark, which is not a word character)
            stop = find(" ", start)
            token = text[start : stop if stop >= 0 else limit]
            length, word_stem = words.get(token) or self._word(token, folded, start)
            end = start + length
            if word_stem in stems:
                found.append((start, end, word_stem))
        return found

    def _word(self, token: str, folded: str, start: int) -> tuple[int, str]:
        """Length and stem of the word `token` begins with (the text at `start` of `folded`, up to the next
        space), kept for the query's other hits. Both depend on `token` alone: folding keeps word
        characters word characters and the rest not."""
        length = _WORD_TAIL.match(folded, start).end() - start
        word, folded_word = token[:length], folded[start : start + length]
        # The folded copy holds the word folded, unless it keeps stress marks (not word characters) or the
        # word has a "Σ", whose lowercase depends on the letters around it: then the word is folded alone.
        same = folded_word.isalnum() and "Σ" not in word
        found = self._words[token] = length, stem(folded_word if same else fold(word))
        return found

    def html(self, text: str) -> str:
        """Escaped passage of `text` (as `snippet_text` keeps it) with matched words wrapped in <mark>; safe
        to emit as HTML."""
        matches = self._matches(text)
        start, end = _cut(text, _best_window(matches, _WIDTH) if matches else 0, _WIDTH)
        # Most passages have nothing to escape: five `in` tests cost less than escaping each piece.
        passage = text[start:end]
        plain = not ("&" in passage or "<" in passage or ">" in passage or '"' in passage or "'" in passage)
        parts = ["…" if start > 0 else ""]
        position = start
        for m_start, m_end, _ in matches:
            if m_end > end:
                break  # the matches are in order: the rest are past the passage too
            if m_start < start:
                continue
            # A matched word is word characters only: nothing in it to escape.
            gap = text[position:m_start]
            parts.append(f"{gap if plain else escape(gap)}<mark>{text[m_start:m_end]}</mark>")
            position = m_end
        gap = text[position:end]
        parts += [gap if plain else escape(gap), "…" if end < len(text) else ""]
        return "".join(parts)
