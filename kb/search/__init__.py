"""The article search engine: a Whoosh index with English/Russian analysis, ranking and suggestions."""

from kb.search.busy import SearchBusy
from kb.search.index import SearchIndex, fingerprint_of, run_search
from kb.search.model import Hit, IndexDoc, IndexHealth, QueryTooLong, SearchPage, Suggestion
from kb.search.store import IndexUnavailable

__all__ = [
    "Hit",
    "IndexDoc",
    "IndexHealth",
    "IndexUnavailable",
    "QueryTooLong",
    "SearchBusy",
    "SearchIndex",
    "SearchPage",
    "Suggestion",
    "fingerprint_of",
    "run_search",
]
