"""What readers do (views, searches, clicks on results), counted in memory and written in batches:
reading must not cost a database write per page."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kb.tables import Article, SearchLog

log = logging.getLogger("kb.activity")
# NUL (PostgreSQL's text cannot hold it) and lone surrogates (no UTF-8 for them): a search log row
# must be storable whatever the reader typed, and one row must never sink a batch of others.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
CLICK_PATIENCE_S = 300  # a click may name a search another process has not written yet
_IDS_PER_UPDATE = 500  # ids in one IN (...): well below SQLite's limit on query parameters
_ROWS_PER_INSERT = 5000  # searches per statement: one JSON parameter of a megabyte or so
# The ORM's insert cost ~75 µs of CPU per search logged (more than serving the search page from the
# page cache), ~15 µs of it turning each query parameter into a placeholder. The rows go in as one JSON
# parameter instead, unpacked by the database: no per-value placeholders, still no SQL built from data.
_INSERT_SEARCHES = {
    "sqlite": (
        'INSERT INTO kb_search_log (token, query, locale, category, results, "user", source, clicked, created_at)'
        " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),"
        " json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),"
        " json_extract(value, '$[6]'), json_extract(value, '$[7]'), {} FROM json_each({})"
    ),
    "postgres": (
        'INSERT INTO kb_search_log (token, query, locale, category, results, "user", source, clicked, created_at)'
        " SELECT r ->> 0, r ->> 1, r ->> 2, r ->> 3, (r ->> 4)::integer, (r ->> 5)::integer, r ->> 6,"
        " (r ->> 7)::integer, {}::timestamptz FROM json_array_elements({}::json) AS r"
    ),
}


def _storable(text: str) -> str:
    return _UNSTORABLE.sub("", text)


async def _insert_searches(insert: str, now: datetime, rows: list[list]) -> None:
    """The rows in one statement; should the database refuse it (a user deleted meanwhile, a value it
    cannot hold), each row on its own, so only the refused ones are lost, and said so in the log."""
    try:
        await SearchLog.raw(insert, now, json.dumps(rows, ensure_ascii=False))
        return
    except (OSError, sqlite3.OperationalError):
        raise  # the database is away, not one row's fault: retrying row by row would only repeat it
    except Exception as exc:
        if len(rows) == 1:
            log.warning("a search could not be logged: %s: %s", type(exc).__name__, exc)
            return
    refused = 0
    for row in rows:
        try:
            await SearchLog.raw(insert, now, json.dumps([row], ensure_ascii=False))
        except (OSError, sqlite3.OperationalError):
            raise
        except Exception:
            refused += 1
    log.warning("%d of %d searches could not be logged; the others were", refused, len(rows))


@dataclass(slots=True)
class _Search:
    token: str
    query: str
    locale: str
    category: str
    results: int
    user_id: int | None
    source: str
    clicked: int | None = None


@dataclass(slots=True)
class ReaderActivity:
    _views: Counter[int] = field(default_factory=Counter)
    _searches: dict[str, _Search] = field(default_factory=dict)
    _clicks: dict[str, tuple[int, float]] = field(default_factory=dict)

    def view(self, article_id: int) -> None:
        self._views[article_id] += 1

    def search(
        self,
        query: str,
        locale: str,
        results: int,
        *,
        category: str = "",
        user_id: int | None = None,
        source: str = "page",
    ) -> str:
        """Log a search; returns the token its result links carry, so a click can be tied to it."""
        token = secrets.token_hex(8)
        self._searches[token] = _Search(
            token,
            _storable(query).strip()[:500],
            _storable(locale)[:5],
            _storable(category)[:80],
            results,
            user_id,
            _storable(source)[:10],
        )
        return token

    def click(self, token: str, article_id: int) -> None:
        if len(token) != 16:
            return
        if token in self._searches:
            self._searches[token].clicked = self._searches[token].clicked or article_id
        else:
            self._clicks.setdefault(token, (article_id, time.monotonic()))

    async def flush(self) -> tuple[int, int]:
        """Write what was counted since the last flush; returns (views, searches) written."""
        views, self._views = self._views, Counter()
        searches, self._searches = self._searches, {}
        clicks, self._clicks = self._clicks, {}
        # One UPDATE per distinct count rather than per article: a busy node reads hundreds of articles
        # between flushes, and most of them the same few times.
        by_count: dict[int, list[int]] = {}
        for article_id, count in views.items():
            by_count.setdefault(count, []).append(article_id)
        for count, ids in by_count.items():
            for start in range(0, len(ids), _IDS_PER_UPDATE):
                chunk = ids[start : start + _IDS_PER_UPDATE]
                await Article.update({Article.views: Article.views + count}).where(Article.id.is_in(chunk))
        rows = [
            [s.token, s.query, s.locale, s.category, s.results, s.user_id, s.source, s.clicked]
            for s in searches.values()
        ]
        insert = _INSERT_SEARCHES["sqlite" if SearchLog._meta.db.engine_type == "sqlite" else "postgres"]
        now = datetime.now(UTC)
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            await _insert_searches(insert, now, rows[start : start + _ROWS_PER_INSERT])
        for token, (article_id, since) in clicks.items():
            done = (
                await SearchLog.update({SearchLog.clicked: article_id})
                .where((SearchLog.token == token) & SearchLog.clicked.is_null())
                .returning(SearchLog.id)
            )
            if not done and time.monotonic() - since < CLICK_PATIENCE_S:
                self._clicks.setdefault(token, (article_id, since))
        return sum(views.values()), len(searches)
