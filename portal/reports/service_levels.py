"""Service levels: the share of a period's tickets whose first response and resolution met their
deadlines, overall and by plan, priority, type, group and agent, and the tickets that breached."""

from __future__ import annotations

from datetime import datetime

from portal.reports import sql
from portal.reports.period import Filters, Period
from portal.reports.result import Report, Table, share, summary
from portal.tickets.visibility import number_of

BREACHED_SHOWN = 50

# Per ticket: 1 met, 0 breached, NULL not decided yet (not due and not done) or without a deadline.
_FLAGS = (
    "CASE WHEN t.first_response_due IS NULL THEN NULL "
    "WHEN t.first_responded_at IS NOT NULL "
    "THEN CASE WHEN t.first_responded_at <= t.first_response_due THEN 1 ELSE 0 END "
    "WHEN t.first_response_due < {now} THEN 0 END AS fr, "
    "CASE WHEN t.resolution_due IS NULL THEN NULL "
    "WHEN t.resolved_at IS NOT NULL THEN CASE WHEN t.resolved_at <= t.resolution_due THEN 1 ELSE 0 END "
    "WHEN t.resolution_due < {now} THEN 0 END AS res"
)
_COUNTS = "SUM(fr) AS fr_met, COUNT(fr) AS fr_total, SUM(res) AS res_met, COUNT(res) AS res_total"


def _flagged(q: sql.Query, period: Period, filters: Filters, now: datetime, *extra: str) -> str:
    flags = _FLAGS.replace("{now}", q.arg(now), 1)
    flags = flags.replace("{now}", q.arg(now), 1)
    columns = ", ".join(("t.id", "t.subject", *extra, flags))
    return (
        f"SELECT {columns} FROM ticket t {sql.TICKET_JOINS} WHERE {sql.when(q, 't.created_at', period)} "
        f"AND {sql.ticket_filters(q, filters)}"
    )


async def report(period: Period, filters: Filters, now: datetime) -> Report:
    q = sql.Query()
    found = await sql.grouped(q, _flagged(q, period, filters, now, "{dimensions}"), sql.TICKET_DIMENSIONS, _COUNTS)
    overall = found[""][0]
    tables = [
        summary(
            {
                "first_response_met_pct": share(overall["fr_met"], overall["fr_total"]),
                "first_response_due": overall["fr_total"],
                "resolution_met_pct": share(overall["res_met"], overall["res_total"]),
                "resolution_due": overall["res_total"],
            }
        )
    ]
    for name in sql.TICKET_DIMENSIONS:
        tables.append(
            Table(
                f"by_{name}",
                (name, "first_response_met_pct", "first_response_due", "resolution_met_pct", "resolution_due"),
                [
                    (
                        r["k"],
                        share(r["fr_met"], r["fr_total"]),
                        r["fr_total"],
                        share(r["res_met"], r["res_total"]),
                        r["res_total"],
                    )
                    for r in found[name]
                    if r["fr_total"] or r["res_total"]
                ],
            )
        )
    q = sql.Query()
    inner = _flagged(q, period, filters, now, "t.created_at")
    breached = await sql.rows(
        q,
        f"SELECT id, subject, fr, res FROM ({inner}) f WHERE fr = 0 OR res = 0 "
        f"ORDER BY created_at DESC, id DESC LIMIT {BREACHED_SHOWN}",
    )
    tables.append(
        Table(
            "breached",
            ("ticket", "subject", "first_response_breached", "resolution_breached"),
            [(number_of(r["id"]), r["subject"], r["fr"] == 0, r["res"] == 0) for r in breached],
        )
    )
    return Report("service-levels", period, tables)
