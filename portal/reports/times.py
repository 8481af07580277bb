"""Times: first response and resolution, median and 90th percentile, in working time (as the deadlines
count it, stored on the ticket when it happens; also by plan, priority, type, group and agent) and in
calendar time; and the time tickets of each type spend in each status (kept on the ticket as it moves),
the per-stage view of the service levels."""

from __future__ import annotations

from datetime import datetime

from portal.reports import sql
from portal.reports.period import Filters, Period
from portal.reports.result import Report, Table, summary
from portal.tickets.status_time import SECONDS

# The tables by plan, priority, type, group and agent show working time, as the service levels count it.
FIRST, RESOLUTION = "first_response_business", "resolution_business"
CALENDAR_FIRST, CALENDAR_RESOLUTION = "first_response_calendar", "resolution_calendar"
MEASURES = (FIRST, CALENDAR_FIRST, RESOLUTION, CALENDAR_RESOLUTION)
BY_DIMENSION = ("answered", f"{FIRST}_median", f"{FIRST}_p90", "resolved", f"{RESOLUTION}_median", f"{RESOLUTION}_p90")


def _measured(q: sql.Query, period: Period, filters: Filters) -> str:
    return (
        "SELECT {dimensions}, "
        f"t.first_response_business_minutes AS {FIRST}, "
        f"{sql.minutes('t.created_at', 't.first_responded_at')} AS {CALENDAR_FIRST}, "
        f"t.resolution_business_minutes AS {RESOLUTION}, "
        f"{sql.minutes('t.created_at', 't.resolved_at')} AS {CALENDAR_RESOLUTION} "
        f"FROM ticket t {sql.TICKET_JOINS} WHERE {sql.when(q, 't.created_at', period)} "
        f"AND {sql.ticket_filters(q, filters)}"
    )


def _points(row: dict, measure: str) -> tuple[float | None, float | None]:
    return sql.rounded(row[f"{measure}_p50"]), sql.rounded(row[f"{measure}_p90"])


async def _in_status(period: Period, filters: Filters, now: datetime) -> list[tuple]:
    """Per type and status: the tickets that were in it and the average minutes each spent there
    (a status still held counts until `now`)."""
    q = sql.Query()
    held = sql.minutes("COALESCE(t.status_since, t.created_at)", q.arg(now))
    kept = ", ".join(f"t.{column._meta.db_column_name} AS s_{status.value}" for status, column in SECONDS.items())
    sums = ", ".join(
        f"COUNT(CASE WHEN s_{s} IS NOT NULL OR status = '{s}' THEN 1 END) AS n_{s}, "
        f"SUM(COALESCE(s_{s}, 0)) / 60.0 + SUM(CASE WHEN status = '{s}' THEN held ELSE 0 END) AS m_{s}"
        for s in (status.value for status in SECONDS)
    )
    found = await sql.rows(
        q,
        f"SELECT type, {sums} FROM (SELECT t.type, t.status, {kept}, {held} AS held FROM ticket t "
        f"WHERE {sql.when(q, 't.created_at', period)} AND {sql.ticket_filters(q, filters)}) k GROUP BY type",
    )
    return [
        (
            row["type"],
            status.value,
            row[f"n_{status.value}"],
            sql.rounded(row[f"m_{status.value}"] / row[f"n_{status.value}"]),
        )
        for row in sorted(found, key=lambda r: r["type"])
        for status in SECONDS
        if row[f"n_{status.value}"]
    ]


async def report(period: Period, filters: Filters, now: datetime) -> Report:
    q = sql.Query()
    found = await sql.grouped(
        q,
        _measured(q, period, filters),
        sql.TICKET_DIMENSIONS,
        f"COUNT({CALENDAR_FIRST}) AS answered, COUNT({CALENDAR_RESOLUTION}) AS resolved",
        ranked=(FIRST, RESOLUTION),
        ranked_overall=(CALENDAR_FIRST, CALENDAR_RESOLUTION),
    )
    overall = found[""][0]
    figures: dict = {}
    for measure in MEASURES:
        figures[f"{measure}_median"], figures[f"{measure}_p90"] = _points(overall, measure)
    figures |= {"answered": overall["answered"], "resolved": overall["resolved"]}
    in_status = await _in_status(period, filters, now)
    tables = [summary(figures), Table("time_in_status", ("type", "status", "tickets", "average_minutes"), in_status)]
    for name in sql.TICKET_DIMENSIONS:
        rows = [
            (r["k"], r["answered"], *_points(r, FIRST), r["resolved"], *_points(r, RESOLUTION)) for r in found[name]
        ]
        tables.append(Table(f"by_{name}", (name, *BY_DIMENSION), rows))
    return Report("times", period, tables)
