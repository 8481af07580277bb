"""Which documents a search may return (locale, category, published), as a cached per-reader mask."""

from __future__ import annotations

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from kb.search.cache import EngineCache, read_postings
from kb.search.scorer import Leaf

__all__ = ["filter_mask"]


def _docs(reader: IndexReader, field: str, value: str) -> set[int]:
    return set(read_postings(reader, field, value)[0])  # live documents only: deleted ones are left out


def filter_mask(
    searcher: Searcher,
    parts: list[Leaf],
    generation: str,
    cache: EngineCache,
    locale: str | tuple[str, ...],
    category: str | None,
    public_only: bool,
) -> bytearray:
    """mask[docnum] == 1 when the document may be returned; deleted documents never may. `locale`: one
    language, or several (a search across languages)."""
    locales = (locale,) if isinstance(locale, str) else tuple(sorted(set(locale)))
    state = tuple((leaf.data.key[1], leaf.reader.segment().deleted_count()) for leaf in parts)
    signature = (generation, state, locales, category or "", public_only)

    def build() -> bytearray:
        mask = bytearray(searcher.doc_count_all())
        for leaf in parts:
            reader = leaf.reader
            allowed = set().union(*(_docs(reader, "locale", one) for one in locales))
            if category:
                allowed &= _docs(reader, "category", category)
            if public_only:
                allowed &= _docs(reader, "public", "1")
            for doc in allowed:
                mask[leaf.base + doc] = 1
        return mask

    return cache.mask(signature, build)
