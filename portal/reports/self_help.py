"""Self-service: the period's searches (with no result, with results but no click), the filings that
an article answered instead (the deflection rate), the content gaps (the most frequent unanswered
queries, grouped by the stems search uses, each with the recurring-question group it matches), and the
articles by views, helpfulness and deflections."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from kb.search.analysis import index_words, stem
from portal.insights.tables import TicketGroup
from portal.reports import sql
from portal.reports.period import Filters, Period
from portal.reports.result import Report, Table, share, summary

QUERIES_READ = 500  # the most frequent distinct unanswered queries: gaps come from the head of the list
GAPS_SHOWN = 20
ARTICLES_SHOWN = 20
# Typeahead logs a search per pause in typing: counting it would multiply every question.
_SEARCHES = "FROM kb_search_log l WHERE l.source <> 'suggest' AND "


def stems(text: str) -> frozenset[str]:
    """What a query means to search: its words without stop words, stemmed."""
    return frozenset(stem(word) for word in index_words(text))


def write_link(query: str) -> str:
    return "/staff/kb/new?" + urlencode({"title": query})


async def _recurring_groups() -> list[tuple[int, frozenset[str]]]:
    return [(row["id"], stems(row["title"])) for row in await TicketGroup.select(TicketGroup.id, TicketGroup.title)]


def _matching(key: frozenset[str], groups: list[tuple[int, frozenset[str]]]) -> int | None:
    """The recurring-question group whose title says everything the query says, the smallest such."""
    found = [(len(words), group_id) for group_id, words in groups if key <= words]
    return min(found)[1] if found else None


async def content_gaps(period: Period, limit: int = GAPS_SHOWN) -> list[tuple]:
    q = sql.Query()
    found = await sql.rows(
        q,
        "SELECT l.query, COUNT(*) AS n, SUM(CASE WHEN l.results = 0 THEN 1 ELSE 0 END) AS none "
        f"{_SEARCHES}{sql.when(q, 'l.created_at', period)} AND (l.results = 0 OR l.clicked IS NULL) "
        f"GROUP BY l.query ORDER BY n DESC, l.query LIMIT {QUERIES_READ}",
    )
    gaps: dict[frozenset[str], list] = {}
    for row in found:
        key = stems(row["query"])
        if not key:
            continue
        # The first (most frequent) wording of a gap names it.
        gap = gaps.setdefault(key, [" ".join(row["query"].split()), 0, 0])
        gap[1] += row["n"]
        gap[2] += row["none"] or 0
    groups = await _recurring_groups()
    ordered = sorted(gaps.items(), key=lambda item: (-item[1][1], item[1][0]))[:limit]
    return [
        (query, searches, no_result, searches - no_result, write_link(query), _matching(key, groups))
        for key, (query, searches, no_result) in ordered
    ]


async def report(period: Period, filters: Filters, now: datetime) -> Report:
    q = sql.Query()
    searched = (
        await sql.rows(
            q,
            "SELECT COUNT(*) AS n, SUM(CASE WHEN l.results = 0 THEN 1 ELSE 0 END) AS none, "
            "SUM(CASE WHEN l.results > 0 AND l.clicked IS NULL THEN 1 ELSE 0 END) AS unclicked "
            f"{_SEARCHES}{sql.when(q, 'l.created_at', period)}",
        )
    )[0]
    q = sql.Query()
    deflected = (
        await sql.rows(
            q,
            f"SELECT COUNT(DISTINCT d.form_key) AS n FROM kb_deflection d WHERE {sql.when(q, 'd.created_at', period)}",
        )
    )[0]["n"]
    q = sql.Query()
    filed = (
        await sql.rows(
            q, f"SELECT COUNT(*) AS n FROM ticket t WHERE t.channel = 'web' AND {sql.when(q, 't.created_at', period)}"
        )
    )[0]["n"]
    figures = {
        "searches": searched["n"],
        "searches_no_result": searched["none"] or 0,
        "searches_no_click": searched["unclicked"] or 0,
        "deflected_filings": deflected,
        "web_filings": filed,
        "deflection_rate_pct": share(deflected, deflected + filed),
    }
    q = sql.Query()
    articles = await sql.rows(
        q,
        "SELECT a.id, a.title, a.slug, a.views, a.helpful_yes, a.helpful_no, "
        "(SELECT COUNT(*) FROM kb_deflection d WHERE d.article = a.id "
        f"AND {sql.when(q, 'd.created_at', period)}) AS deflections "
        f"FROM kb_article a WHERE a.status = 'published' ORDER BY a.views DESC, a.id LIMIT {ARTICLES_SHOWN}",
    )
    return Report(
        "self-service",
        period,
        [
            summary(figures),
            Table(
                "content_gaps",
                ("query", "searches", "no_result", "no_click", "write_article", "recurring_group"),
                await content_gaps(period),
            ),
            Table(
                "articles",
                ("article", "slug", "views", "helpful_pct", "votes", "deflections"),
                [
                    (
                        r["title"],
                        r["slug"],
                        r["views"],
                        share(r["helpful_yes"], r["helpful_yes"] + r["helpful_no"]),
                        r["helpful_yes"] + r["helpful_no"],
                        r["deflections"],
                    )
                    for r in articles
                ],
            ),
        ],
    )
