"""The insights tables: groups of tickets asking the same question, staff corrections to them, each
grouping run, and which tickets an article was written from."""

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

USER = LazyTableReference(table_class_name="User", module_path="auth.tables")
TICKET = LazyTableReference(table_class_name="Ticket", module_path="portal.tickets.tables")
ARTICLE = LazyTableReference(table_class_name="Article", module_path="kb.tables")


class TicketGroup(Table, tablename="insights_group"):
    """One recurring question; rebuilt from the tickets, keeping its id while most members stay."""

    title = Text()  # the representative ticket's subject
    representative = ForeignKey(TICKET, null=True, default=None, on_delete=OnDelete.set_null)
    size = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class GroupMember(Table, tablename="insights_member"):
    group = ForeignKey(TicketGroup, on_delete=OnDelete.cascade, index=True)
    ticket = ForeignKey(TICKET, on_delete=OnDelete.cascade, unique=True)
    position = Integer(default=0)  # 0 is the most representative question


class Correction(Table, tablename="insights_correction"):
    """What staff said about a grouping, applied to every later rebuild: "merge" (these two tickets'
    groups are one question) or "detach" (this ticket does not belong with that one)."""

    kind = Varchar(length=10)
    ticket = ForeignKey(TICKET, on_delete=OnDelete.cascade, index=True)
    other = ForeignKey(TICKET, on_delete=OnDelete.cascade)
    actor = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class GroupingRun(Table, tablename="insights_run"):
    """A finished rebuild: the newest ticket change it saw decides whether the next pass has work."""

    tickets = Integer(default=0)
    groups = Integer(default=0)
    seconds = Integer(default=0)
    watermark = Timestamptz(null=True, default=None)  # the latest ticket update it included
    finished_at = Timestamptz(default=TimestamptzNow())


class ArticleSource(Table, tablename="insights_article_source"):
    """A ticket an article was drafted from: staff see where an article came from, and a group whose
    tickets produced a published article counts as answered."""

    article = ForeignKey(ARTICLE, on_delete=OnDelete.cascade, index=True)
    ticket = ForeignKey(TICKET, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
