"""Charts as SVG, drawn on the server by pygal in the current language; each draws one of the report's
tables, which the page shows beside it as the chart's text alternative."""

from __future__ import annotations

import pygal
from pygal.style import Style

from portal.reports.labels import table_names, word
from portal.reports.result import Report, Table

# The site's colours; the chart is an image, so its text needs no more contrast than its table gives.
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c"),
    font_family="system-ui, sans-serif",
)
# The table each report charts, and its columns drawn as series (the first column labels the bars).
CHARTED = {
    "service-levels": ("by_priority", ("first_response_met_pct", "resolution_met_pct")),
    "times": ("time_in_status", ("average_minutes",)),
    "volume": ("over_time", ("opened", "resolved")),
    "satisfaction": ("distribution", ("ratings",)),
    "self-service": ("summary", ("value", "previous")),
}


def charted(report: Report) -> Table:
    return report.table(CHARTED[report.name][0])


def _labels(report: Report, table: Table) -> list[str]:
    if report.name == "times":
        return [f"{word(row[0])}: {word(row[1])}" for row in table.rows]
    return [word(row[0]) for row in table.rows]


def svg(report: Report) -> bytes:
    """The report's chart; a line over time for volume, bars for the rest."""
    key, series = CHARTED[report.name]
    table = report.table(key)
    kind = pygal.Line if report.name == "volume" else pygal.Bar
    chart = kind(
        style=STYLE,
        width=720,
        height=360,
        js=[],  # no script: the page's policy runs none, and the table says what a tooltip would
        x_label_rotation=30,
        truncate_label=24,
        legend_at_bottom=True,
        print_values=False,
        no_data_text=word("no_data"),
    )
    chart.title = table_names()[key]
    chart.x_labels = _labels(report, table)
    for column in series:
        index = table.columns.index(column)
        chart.add(word(column), [None if row[index] is None else float(row[index]) for row in table.rows])
    return chart.render()
