"""The SQL the reports share: the filters as a WHERE clause, durations and days on either database, and
percentiles with one definition on both (the nearest rank: PostgreSQL's percentile_disc)."""

from __future__ import annotations

from typing import Any

from piccolo.engine.postgres import PostgresEngine

from portal import db
from portal.reports.period import Filters, Period
from portal.tickets.tables import Ticket

# The plan a ticket is served under: its organization's, Standard without one.
PLAN = "COALESCE((SELECT o.support_plan FROM organization o WHERE o.id = t.organization), 'standard')"


class Query:
    """A statement's text with `{}` placeholders and its arguments, built up in order."""

    def __init__(self) -> None:
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return "{}"


def postgres() -> bool:
    return isinstance(db.current_engine(), PostgresEngine)


def minutes(start: str, end: str) -> str:
    """Minutes from one timestamp column to another, as a real number."""
    if postgres():
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0)"
    return f"((julianday({end}) - julianday({start})) * 1440.0)"


def day(column: str, by_week: bool = False) -> str:
    """The UTC day (or the Monday of the week) of a timestamp, as YYYY-MM-DD text."""
    if postgres():
        unit = "week" if by_week else "day"
        return f"to_char(date_trunc('{unit}', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
    return f"date({column}, 'weekday 0', '-6 days')" if by_week else f"date({column})"


def when(q: Query, column: str, period: Period) -> str:
    return f"{column} >= {q.arg(period.start)} AND {column} < {q.arg(period.end)}"


def ticket_filters(q: Query, filters: Filters, agent_column: str = "t.assignee") -> str:
    """The filters on the ticket aliased `t` (the agent on `agent_column`), joined with AND; "1=1" for none."""
    parts = ["1=1"]
    if filters.organization is not None:
        parts.append(f"t.organization = {q.arg(filters.organization)}")
    if filters.plan:
        parts.append(f"{PLAN} = {q.arg(filters.plan)}")
    if filters.group is not None:
        parts.append(f"t.staff_group = {q.arg(filters.group)}")
    for column in ("type", "priority", "channel"):
        if getattr(filters, column):
            parts.append(f"t.{column} = {q.arg(getattr(filters, column))}")
    if filters.agent is not None:
        parts.append(f"{agent_column} = {q.arg(filters.agent)}")
    return " AND ".join(parts)


def percentiles(source: str, value: str, points: tuple[int, ...] = (50, 90)) -> str:
    """One row with p<N> for each point over `value` in the rows of `source` (NULLs left out): the
    smallest value at or above N percent of them. PostgreSQL says it with percentile_disc; SQLite with
    the rank of each value, compared in whole numbers so both databases pick the same row."""
    if postgres():
        cols = ", ".join(f"percentile_disc({p / 100}) WITHIN GROUP (ORDER BY v) AS p{p}" for p in points)
        return f"SELECT {cols} FROM (SELECT {value} AS v FROM {source}) s WHERE v IS NOT NULL"
    cols = ", ".join(f"MIN(CASE WHEN r * 100 >= {p} * n THEN v END) AS p{p}" for p in points)
    return (
        f"SELECT {cols} FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS r, COUNT(*) OVER () AS n "
        f"FROM (SELECT {value} AS v FROM {source}) s WHERE v IS NOT NULL) ranked"
    )


async def rows(q: Query, sql: str) -> list[dict]:
    return [dict(row) for row in await Ticket.raw(sql, *q.args)]


def rounded(value: Any, digits: int = 1) -> float | None:
    """Durations computed from timestamps differ in the last bits between the databases: a tenth of a
    minute is as precise as a report needs."""
    return None if value is None else round(float(value), digits)


async def grouped(q: Query, base: str, dimensions: dict[str, str], measures: str = "") -> dict[str, list[dict]]:
    """The measures over the rows of `base` overall (under "") and by each dimension, `base` read once.
    `base` selects each dimension's expression as d_<name>; a dimension's rows come most frequent first."""
    columns = ", ".join(f"{expression} AS d_{name}" for name, expression in dimensions.items())
    measures = f", {measures}" if measures else ""
    parts = [f"SELECT '' AS d, '' AS k, COUNT(*) AS n_rows{measures} FROM f"]
    parts += [
        f"SELECT '{name}' AS d, d_{name} AS k, COUNT(*) AS n_rows{measures} FROM f GROUP BY d_{name}"
        for name in dimensions
    ]
    found = await rows(
        q, f"WITH f AS MATERIALIZED ({base.replace('{dimensions}', columns)}) " + " UNION ALL ".join(parts)
    )
    out: dict[str, list[dict]] = {"": [], **{name: [] for name in dimensions}}
    for row in found:
        out[row["d"]].append(row)
    for name in dimensions:
        out[name].sort(key=lambda r: (-r["n_rows"], str(r["k"])))
    return out
