"""What every report returns: named tables of rows (the page, the charts, CSV and JSON all read these),
the first of them a summary compared with the previous period."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.reports.period import Period

SUMMARY = "summary"


@dataclass(slots=True)
class Table:
    key: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(slots=True)
class Report:
    name: str
    period: Period
    tables: list[Table]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def figure(self, name: str) -> Any:
        return next(row[1] for row in self.table(SUMMARY).rows if row[0] == name)


def summary(figures: dict[str, Any]) -> Table:
    return Table(SUMMARY, ("figure", "value", "previous"), [(name, value, None) for name, value in figures.items()])


def compared(current: Report, previous: Report) -> Report:
    """The current report with the previous period's summary figures beside its own."""
    before = dict((row[0], row[1]) for row in previous.table(SUMMARY).rows)
    current.table(SUMMARY).rows = [(name, value, before.get(name)) for name, value, _ in current.table(SUMMARY).rows]
    return current


def share(part: int | None, whole: int | None) -> float | None:
    """A percentage with one decimal; None when there is nothing to divide."""
    return round(100.0 * (part or 0) / whole, 1) if whole else None
