"""What readers do (views, searches, clicks on results), counted in memory and written in batches:
reading must not cost a database write per page."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

from kb.tables import Article, SearchLog

CLICK_PATIENCE_S = 300  # a click may name a search another process has not written yet


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
        self._searches[token] = _Search(token, query.strip()[:500], locale, category[:80], results, user_id, source)
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
        for article_id, count in views.items():
            await Article.update({Article.views: Article.views + count}).where(Article.id == article_id)
        if searches:
            await SearchLog.insert(
                *[
                    SearchLog(
                        token=s.token,
                        query=s.query,
                        locale=s.locale,
                        category=s.category,
                        results=s.results,
                        user=s.user_id,
                        source=s.source,
                        clicked=s.clicked,
                    )
                    for s in searches.values()
                ]
            )
        for token, (article_id, since) in clicks.items():
            done = (
                await SearchLog.update({SearchLog.clicked: article_id})
                .where((SearchLog.token == token) & SearchLog.clicked.is_null())
                .returning(SearchLog.id)
            )
            if not done and time.monotonic() - since < CLICK_PATIENCE_S:
                self._clicks.setdefault(token, (article_id, since))
        return sum(views.values()), len(searches)
