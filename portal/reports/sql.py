"""The SQL the reports share: the names they group by, the filters as a WHERE clause, durations and days
on either database, and measures by group with percentiles of one definition on both (the nearest rank:
PostgreSQL's percentile_disc)."""

from __future__ import annotations

from typing import Any

from piccolo.engine.postgres import PostgresEngine

from portal import db
from portal.reports.period import Filters, Period
from portal.sla import levels
from portal.tickets.tables import Ticket

# What the reports group the ticket `t` by, read from the tables TICKET_JOINS joins to it once per
# query: a subquery per row was a scan of the small table for each ticket on PostgreSQL.
ORGANIZATION_JOIN = "LEFT JOIN organization o ON o.id = t.organization"
GROUP_JOIN = "LEFT JOIN staff_group g ON g.id = t.staff_group"
TICKET_JOINS = f"{ORGANIZATION_JOIN} {GROUP_JOIN} LEFT JOIN portal_user u ON u.id = t.assignee"
PLAN = "COALESCE(o.support_plan, 'standard')"  # its organization's plan, Standard without one
GROUP_NAME = "COALESCE(g.name, '')"
AGENT_NAME = "COALESCE(u.name, '')"
TICKET_DIMENSIONS = {"plan": PLAN, "priority": "t.priority", "type": "t.type", "group": GROUP_NAME, "agent": AGENT_NAME}
POINTS = (50, 90)  # the median and the 90th percentile


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
        in_plan = f"t.organization IN (SELECT p.id FROM organization p WHERE p.support_plan = {q.arg(filters.plan)})"
        # Tickets without an organization are served under Standard (PLAN).
        parts.append(f"({in_plan} OR t.organization IS NULL)" if filters.plan == "standard" else in_plan)
    if filters.group is not None:
        parts.append(f"t.staff_group = {q.arg(filters.group)}")
    for column in ("type", "priority", "channel"):
        if getattr(filters, column):
            parts.append(f"t.{column} = {q.arg(getattr(filters, column))}")
    if filters.agent is not None:
        parts.append(f"{agent_column} = {q.arg(filters.agent)}")
    return " AND ".join(parts)


async def rows(q: Query, sql: str) -> list[dict]:
    return [dict(row) for row in await Ticket.raw(sql, *q.args)]


def rounded(value: Any, digits: int = 1) -> float | None:
    """Durations computed from timestamps differ in the last bits between the databases: a tenth of a
    minute is as precise as a report needs."""
    return None if value is None else round(float(value), digits)


def _percentiles(key: str, column: str) -> str:
    """SQLite: the percentiles of `column` in `f` under each key (NULLs left out), from each value's rank
    among its key's, compared in whole numbers so that SQLite picks the row PostgreSQL's percentile_disc
    picks. Only the key and the value go through the window: SQLite copies every column it carries."""
    points = ", ".join(f"MIN(CASE WHEN r * 100 >= {p} * n THEN v END) AS {column}_p{p}" for p in POINTS)
    return (
        f"SELECT k, {points} FROM (SELECT k, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) AS r, "
        f"COUNT(*) OVER (PARTITION BY k) AS n FROM (SELECT {key} AS k, {column} AS v FROM f "
        f"WHERE {column} IS NOT NULL) s) ranked GROUP BY k"
    )


def _part(name: str, key: str, measures: str, ranked: tuple[str, ...], unranked: tuple[str, ...]) -> str:
    """One part of grouped(): the rows of `f` counted and measured under `key` ("''" for all of them),
    with the percentiles of the ranked columns (NULL for the unranked)."""
    group_by = f" GROUP BY {key}" if name else ""
    skipped = "".join(f", NULL AS {c}_p{p}" for c in unranked for p in POINTS)
    head = f"SELECT '{name}' AS d, {key} AS k, COUNT(*) AS n_rows{measures}"
    if postgres():
        points = "".join(
            f", percentile_disc({p / 100}) WITHIN GROUP (ORDER BY {c}) AS {c}_p{p}" for c in ranked for p in POINTS
        )
        return f"{head}{points}{skipped} FROM f{group_by}"
    points = "".join(f", p{i}.{c}_p{p}" for i, c in enumerate(ranked) for p in POINTS)
    joins = "".join(f" LEFT JOIN ({_percentiles(key, c)}) p{i} ON p{i}.k IS m.k" for i, c in enumerate(ranked))
    return f"SELECT m.*{points}{skipped} FROM ({head} FROM f{group_by}) m{joins}"


async def grouped(
    q: Query,
    base: str,
    dimensions: dict[str, str],
    measures: str = "",
    ranked: tuple[str, ...] = (),
    ranked_overall: tuple[str, ...] = (),
) -> dict[str, list[dict]]:
    """The measures over the rows of `base` overall (under "") and by each dimension, `base` read once.
    `base` selects each dimension's expression as d_<name>; a dimension's rows come most frequent first.
    Each column of `base` named in `ranked` (in `ranked_overall`: overall only) gets its percentiles as
    <column>_p50 and <column>_p90: the smallest of its values (NULLs left out) at or above that share
    of them, the nearest rank of PostgreSQL's percentile_disc. A plan's rows are under its name."""
    columns = ", ".join(f"{expression} AS d_{name}" for name, expression in dimensions.items())
    measures = f", {measures}" if measures else ""
    parts = [_part("", "''", measures, ranked + ranked_overall, ())]
    parts += [_part(name, f"d_{name}", measures, ranked, ranked_overall) for name in dimensions]
    found = await rows(
        q, f"WITH f AS MATERIALIZED ({base.replace('{dimensions}', columns)}) " + " UNION ALL ".join(parts)
    )
    out: dict[str, list[dict]] = {"": [], **{name: [] for name in dimensions}}
    for row in found:
        out[row["d"]].append(row)
    if "plan" in dimensions:  # grouped by slug, shown by the name people know the plan by
        names = await levels.plan_names()
        for row in out["plan"]:
            row["k"] = names.get(row["k"], row["k"])
    for name in dimensions:
        out[name].sort(key=lambda r: (-r["n_rows"], str(r["k"])))
    return out
