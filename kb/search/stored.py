"""What a hit shows, kept per segment: each document's few short fields, and its text for snippets.

Reading a hit's stored fields from the index meant a file read and a decompression of the whole stored
document (body and vector included) for each of a page's ten hits, under a lock of the compound file:
about a seventh of a search's CPU. Segments never change once written, so the short fields are read
once per segment (with the vectors, in the warm-up) and the texts kept up to a budget of characters;
beyond it the least recently shown texts are read again from the index when needed.

Memory for the 10,000 articles of the benchmark corpus (bench/search_latency.py): the short fields
3 MB, the snippet texts 11 MB (7.9 million characters, whitespace folded, cut where snippets stop
looking); both once per process, whatever the number of searches running.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from kb.search.snippets import snippet_text

__all__ = ["TEXT_BUDGET", "HitFields", "StoredTexts", "hit_fields", "snippet_source"]

# Characters of snippet text kept per segment (least recently used dropped first): the whole of a 10k
# article index fits, a much larger one keeps the articles people find.
TEXT_BUDGET = 16_000_000


@dataclass(frozen=True, slots=True)
class HitFields:
    id: int
    slug: str
    title: str
    locale: str
    category: str | None


def hit_fields(stored: dict) -> HitFields:
    return HitFields(
        id=int(stored["id"]),
        slug=stored["slug"],
        title=stored["title"],
        locale=stored["locale"],
        category=stored.get("category") or None,
    )


def snippet_source(stored: dict) -> str:
    """The text a hit's snippet is cut from (kb.search.snippets.snippet_text of its body or summary)."""
    return snippet_text(stored.get("body") or stored.get("summary") or "")


class StoredTexts:
    """Snippet texts of one segment by document number, at most `budget` characters; thread-safe."""

    def __init__(self, budget: int | None = None) -> None:
        self.budget = TEXT_BUDGET if budget is None else budget
        self._texts: OrderedDict[int, str] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def put(self, doc: int, text: str) -> None:
        with self._lock:
            old = self._texts.pop(doc, None)
            self._size += len(text) - (len(old) if old is not None else 0)
            self._texts[doc] = text
            while self._size > self.budget and self._texts:
                _, dropped = self._texts.popitem(last=False)
                self._size -= len(dropped)

    def get(self, doc: int, read: Callable[[], str]) -> str:
        with self._lock:
            text = self._texts.get(doc)
            if text is not None:
                self._texts.move_to_end(doc)
                return text
        text = read()
        self.put(doc, text)
        return text

    @property
    def size(self) -> int:
        return self._size
