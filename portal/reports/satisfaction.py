"""Satisfaction: the period's ratings (average, the 1–5 distribution, how many rating requests were
answered) overall and by agent, group and type, and the comments with their tickets."""

from __future__ import annotations

from datetime import datetime

from portal.reports import sql
from portal.reports.period import Filters, Period
from portal.reports.result import Report, Table, share, summary
from portal.tickets.visibility import number_of

COMMENTS_SHOWN = 50
SCORES = (1, 2, 3, 4, 5)
# By the agent the rating is for (who resolved it: `u` is joined on the rating), the group and the type.
DIMENSIONS = {"agent": sql.AGENT_NAME, "group": sql.GROUP_NAME, "type": "t.type"}
# Over the period's ratings as read once (portal.reports.sql.grouped).
_SCORES = "COUNT(*) AS n, AVG(score * 1.0) AS average, " + ", ".join(
    f"SUM(CASE WHEN score = {s} THEN 1 ELSE 0 END) AS s{s}" for s in SCORES
)


def _rated(q: sql.Query, period: Period, filters: Filters) -> str:
    return (
        # CROSS JOIN: SQLite then reads the period's ratings first (by their moment), each ticket by id.
        f"FROM ticket_rating r CROSS JOIN ticket t LEFT JOIN portal_user u ON u.id = r.agent {sql.GROUP_JOIN} "
        f"WHERE t.id = r.ticket AND {sql.when(q, 'r.created_at', period)} "
        f"AND {sql.ticket_filters(q, filters, agent_column='r.agent')}"
    )


def _average(value) -> float | None:
    return None if value is None else round(float(value), 2)


async def report(period: Period, filters: Filters, now: datetime) -> Report:
    q = sql.Query()
    found = await sql.grouped(
        q, f"SELECT r.score AS score, {{dimensions}} {_rated(q, period, filters)}", DIMENSIONS, _SCORES
    )
    overall = found[""][0]
    q = sql.Query()
    # Every resolution asks for a rating: the period's moves to resolved are the requests.
    asked = (
        await sql.rows(
            q,
            "SELECT COUNT(*) AS n FROM ticket_event e CROSS JOIN ticket t WHERE t.id = e.ticket "
            f"AND e.kind = 'status' AND e.new = 'resolved' AND {sql.when(q, 'e.created_at', period)} "
            f"AND {sql.ticket_filters(q, filters)}",
        )
    )[0]["n"]
    figures = {
        "ratings": overall["n"],
        "average_score": _average(overall["average"]),
        "rating_requests": asked,
        "response_rate_pct": share(overall["n"], asked),
    }
    tables = [
        summary(figures),
        Table("distribution", ("score", "ratings"), [(s, overall[f"s{s}"] or 0) for s in SCORES]),
    ]
    for name in DIMENSIONS:
        tables.append(
            Table(
                f"by_{name}",
                (name, "ratings", "average_score", *(f"score_{s}" for s in SCORES)),
                [(r["k"], r["n"], _average(r["average"]), *(r[f"s{s}"] for s in SCORES)) for r in found[name]],
            )
        )
    q = sql.Query()
    comments = await sql.rows(
        q,
        f"SELECT t.id, r.score, r.comment, {DIMENSIONS['agent']} AS agent {_rated(q, period, filters)} "
        f"AND r.comment <> '' ORDER BY r.created_at DESC, r.id DESC LIMIT {COMMENTS_SHOWN}",
    )
    tables.append(
        Table(
            "comments",
            ("ticket", "score", "agent", "comment"),
            [(number_of(r["id"]), r["score"], r["agent"], r["comment"]) for r in comments],
        )
    )
    return Report("satisfaction", period, tables)
