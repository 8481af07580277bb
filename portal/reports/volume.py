"""Volume and backlog: tickets opened and resolved per day or week, the period's tickets by type,
channel, priority and organization, and how old the open backlog is."""

from __future__ import annotations

from datetime import datetime

from portal.reports import sql
from portal.reports.period import Filters, Period
from portal.reports.result import Report, Table, summary

WEEKLY_FROM_DAYS = 60  # longer periods are counted per week: 90 bars say less than 13
DIMENSIONS = {
    "type": "t.type",
    "channel": "t.channel",
    "priority": "t.priority",
    "organization": "COALESCE(o.name, '')",
}
# The backlog's age in days: [from, to) per band.
AGES = (("under_1_day", 0, 1), ("1_3_days", 1, 3), ("3_7_days", 3, 7), ("7_30_days", 7, 30), ("over_30_days", 30, None))
OPEN = "('new', 'open', 'pending')"


async def _over_time(period: Period, filters: Filters, by_week: bool) -> list[tuple]:
    q = sql.Query()
    opened = await sql.rows(
        q,
        f"SELECT {sql.day('t.created_at', by_week)} AS d, COUNT(*) AS n FROM ticket t "
        f"WHERE {sql.when(q, 't.created_at', period)} AND {sql.ticket_filters(q, filters)} GROUP BY d",
    )
    q = sql.Query()
    resolved = await sql.rows(
        q,
        f"SELECT {sql.day('t.resolved_at', by_week)} AS d, COUNT(*) AS n FROM ticket t "
        f"WHERE {sql.when(q, 't.resolved_at', period)} AND {sql.ticket_filters(q, filters)} GROUP BY d",
    )
    opened_on = {r["d"]: r["n"] for r in opened}
    resolved_on = {r["d"]: r["n"] for r in resolved}
    return [(d, opened_on.get(d, 0), resolved_on.get(d, 0)) for d in sorted(opened_on.keys() | resolved_on.keys())]


async def _backlog(filters: Filters, now: datetime) -> tuple[int, list[tuple]]:
    q = sql.Query()

    def age() -> str:  # each use of the age carries its own argument
        return f"({sql.minutes('t.created_at', q.arg(now))} / 1440.0)"

    bands = ", ".join(
        f"SUM(CASE WHEN {age()} >= {low}{f' AND {age()} < {high}' if high else ''} THEN 1 ELSE 0 END) AS band{i}"
        for i, (_name, low, high) in enumerate(AGES)
    )
    found = (
        await sql.rows(
            q,
            f"SELECT COUNT(*) AS n, {bands} FROM ticket t "
            f"WHERE t.status IN {OPEN} AND {sql.ticket_filters(q, filters)}",
        )
    )[0]
    return found["n"], [(name, found[f"band{i}"] or 0) for i, (name, _low, _high) in enumerate(AGES)]


async def report(period: Period, filters: Filters, now: datetime) -> Report:
    by_week = period.days > WEEKLY_FROM_DAYS
    over_time = await _over_time(period, filters, by_week)
    tables = [
        Table("over_time", ("week" if by_week else "day", "opened", "resolved"), over_time),
    ]
    q = sql.Query()
    base = (
        f"SELECT {{dimensions}} FROM ticket t {sql.ORGANIZATION_JOIN} WHERE {sql.when(q, 't.created_at', period)} "
        f"AND {sql.ticket_filters(q, filters)}"
    )
    found = await sql.grouped(q, base, DIMENSIONS)
    for name in DIMENSIONS:
        tables.append(Table(f"by_{name}", (name, "tickets"), [(r["k"], r["n_rows"]) for r in found[name]]))
    backlog, ages = await _backlog(filters, now)
    figures = {
        "opened": sum(row[1] for row in over_time),
        "resolved": sum(row[2] for row in over_time),
        "backlog": backlog,
    }
    return Report("volume", period, [summary(figures), *tables, Table("backlog_age", ("age", "tickets"), ages)])
