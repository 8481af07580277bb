"""Times: first response and resolution, median and 90th percentile, in working time (as the deadlines
count it, stored on the ticket when it happens) and in calendar time; and the time tickets of each
type spend in each status, the per-stage view of the service levels."""

from __future__ import annotations

from datetime import datetime

from portal.reports import sql
from portal.reports.period import Filters, Period
from portal.reports.result import Report, Table, summary

MEASURES = {
    "first_response_business": "t.first_response_business_minutes",
    "first_response_calendar": None,  # computed from the timestamps below
    "resolution_business": "t.resolution_business_minutes",
    "resolution_calendar": None,
}


def _measure(name: str) -> str:
    if name == "first_response_calendar":
        return sql.minutes("t.created_at", "t.first_responded_at")
    if name == "resolution_calendar":
        return sql.minutes("t.created_at", "t.resolved_at")
    return MEASURES[name] or ""


async def _percentiles(period: Period, filters: Filters, name: str) -> dict:
    q = sql.Query()
    source = f"ticket t WHERE {sql.when(q, 't.created_at', period)} AND {sql.ticket_filters(q, filters)}"
    found = (await sql.rows(q, sql.percentiles(source, _measure(name))))[0]
    return {f"{name}_median": sql.rounded(found["p50"]), f"{name}_p90": sql.rounded(found["p90"])}


async def _in_status(period: Period, filters: Filters, now: datetime) -> list[tuple]:
    """Per type and status: the tickets that were in it and the average minutes each spent there
    (a status still held counts until `now`); closed is the end, not a stage."""
    q = sql.Query()
    tickets = f"{sql.when(q, 't.created_at', period)} AND {sql.ticket_filters(q, filters)}"
    events = f"{sql.when(q, 't.created_at', period)} AND {sql.ticket_filters(q, filters)}"
    held = sql.minutes("since", f"COALESCE(until, {q.arg(now)})")
    found = await sql.rows(
        q,
        "WITH moves AS ("
        f"SELECT t.id, t.type, 'new' AS status, t.created_at AS since, 0 AS seq FROM ticket t WHERE {tickets} "
        # CROSS JOIN: SQLite then reads the period's tickets first and their events by index.
        "UNION ALL SELECT t.id, t.type, e.new, e.created_at, e.id FROM ticket t CROSS JOIN ticket_event e "
        f"WHERE e.ticket = t.id AND e.kind IN ('status', 'reopened') AND {events}), "
        "spans AS (SELECT id, type, status, since, "
        "LEAD(since) OVER (PARTITION BY id ORDER BY since, seq) AS until FROM moves) "
        f"SELECT type, status, COUNT(DISTINCT id) AS tickets, SUM({held}) AS held FROM spans "
        "WHERE status <> 'closed' GROUP BY type, status ORDER BY type, status",
    )
    return [(r["type"], r["status"], r["tickets"], sql.rounded(r["held"] / r["tickets"])) for r in found]


async def report(period: Period, filters: Filters, now: datetime) -> Report:
    figures: dict = {}
    for name in MEASURES:
        figures |= await _percentiles(period, filters, name)
    q = sql.Query()
    counts = (
        await sql.rows(
            q,
            "SELECT COUNT(t.first_responded_at) AS answered, COUNT(t.resolved_at) AS resolved FROM ticket t "
            f"WHERE {sql.when(q, 't.created_at', period)} AND {sql.ticket_filters(q, filters)}",
        )
    )[0]
    figures |= {"answered": counts["answered"], "resolved": counts["resolved"]}
    in_status = Table(
        "time_in_status", ("type", "status", "tickets", "average_minutes"), await _in_status(period, filters, now)
    )
    return Report("times", period, [summary(figures), in_status])
