"""The Whoosh schema of the article index and the mapping from `IndexDoc` to its fields."""

from __future__ import annotations

from datetime import datetime

from whoosh.fields import ID, STORED, TEXT, Schema

from kb.search.analysis import FormTokenizer
from kb.search.model import IndexDoc

__all__ = ["SCHEMA_VERSION", "doc_fields", "index_version", "make_schema", "stored_updated_at"]

# Bump when fields or analysis change: an index written with another version is rebuilt.
SCHEMA_VERSION = "5"


def index_version(with_vectors: bool) -> str:
    """What an index records it was written as: the schema, and whether its meaning vectors are real."""
    return SCHEMA_VERSION if with_vectors else f"{SCHEMA_VERSION}-without-vectors"


def make_schema() -> Schema:
    stemmed, exact, prefixes = FormTokenizer("stem"), FormTokenizer("exact"), FormTokenizer("prefix")
    return Schema(
        id=ID(stored=True, unique=True),
        slug=STORED(),
        updated_at=STORED(),
        locale=ID(stored=True),
        category=ID(stored=True),
        public=ID(),
        # Ranking fields: one set for both languages, the analyzer stems each word by its script.
        # No positions: the scorer reads frequencies only, which keeps the index small.
        title=TEXT(analyzer=stemmed, stored=True, phrase=False),
        summary=TEXT(analyzer=stemmed, stored=True, phrase=False),
        tags=TEXT(analyzer=stemmed, phrase=False),
        body=TEXT(analyzer=stemmed, stored=True, phrase=False),
        # Unstemmed words: exact-form bonus, search-as-you-type prefixes and spelling corrections.
        title_exact=TEXT(analyzer=exact, phrase=False),
        body_exact=TEXT(analyzer=exact, phrase=False),
        # The words' first letters: a weaker channel joining related words the stemmer keeps apart.
        title_prefix=TEXT(analyzer=prefixes, phrase=False),
        body_prefix=TEXT(analyzer=prefixes, phrase=False),
        # The article's meaning as a vector (kb.search.semantic), for the second stage of ranking.
        vector=STORED(),
    )


def doc_fields(doc: IndexDoc, vector: bytes) -> dict[str, object]:
    """The index fields of `doc`; `vector` is its encoded meaning (kb.search.semantic.with_vectors)."""
    # The category takes part in matching too ("billing" finds the billing articles).
    category_words = (doc.category or "").replace("-", " ")
    tags = " | ".join((*doc.tags, category_words)) if (doc.tags or category_words) else ""
    rest = " ".join((doc.summary, tags, doc.body))
    return {
        "id": str(doc.id),
        "slug": doc.slug,
        "updated_at": doc.updated_at.isoformat(),
        "locale": doc.locale,
        "category": doc.category or "",
        "public": "1" if doc.public else "0",
        "title": doc.title,
        "summary": doc.summary,
        "tags": tags,
        "body": doc.body,
        "title_exact": doc.title,
        "body_exact": rest,
        "title_prefix": doc.title,
        "body_prefix": rest,
        "vector": vector,
    }


def stored_updated_at(value: str) -> datetime:
    return datetime.fromisoformat(value)
