"""A report's table as CSV: UTF-8 with a byte order mark (spreadsheet programs then read Russian text
right), headers in the reader's language, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

from portal.reports.labels import word
from portal.reports.result import Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """The value as text; one a spreadsheet would take for a formula is prefixed with an apostrophe.
    Numbers are left alone: a negative change is a number, not a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(word(column)) for column in table.columns])
    writer.writerows([cell(value) for value in row] for row in table.rows)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
