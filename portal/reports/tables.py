"""The reports tables: who takes the weekly summary, and each summary sent (its claim)."""

from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

USER = LazyTableReference(table_class_name="User", module_path="auth.tables")


class SummarySubscriber(Table, tablename="reports_subscriber"):
    """A supervisor or admin who asked for the weekly summary by mail."""

    user = ForeignKey(USER, on_delete=OnDelete.cascade, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class SummarySent(Table, tablename="reports_summary_sent"):
    """One week's summary to one person: the unique key is the claim that sends it once across processes."""

    key = Varchar(length=40, unique=True)  # "<user id>:<ISO week>", e.g. "7:2026-W49"
    user = ForeignKey(USER, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
