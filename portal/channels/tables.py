"""Inbound mail, one row per message: the claim that keeps it processed once, and what became of it."""

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

USER = LazyTableReference(table_class_name="User", app_name="auth")
TICKET = LazyTableReference(table_class_name="Ticket", app_name="tickets")


class InboundMail(Table, tablename="inbound_mail"):
    # The Message-ID (or a digest of the bytes when there is none): a message fetched twice is one row.
    message_key = Varchar(length=250, unique=True)
    # claimed (only inside the transaction that settles it), filed, replied, held, ignored (auto-reply,
    # bulk, our own), refused, accepted / discarded (a held message staff decided on)
    status = Varchar(length=10, default="claimed", index=True)
    claimed_at = Timestamptz(default=TimestamptzNow())
    reason = Varchar(length=40, default="")
    sender = Varchar(length=254, default="")
    sender_name = Varchar(length=200, default="")
    subject = Varchar(length=200, default="")
    body = Text(default="")
    ticket = ForeignKey(TICKET, null=True, default=None, on_delete=OnDelete.set_null)
    size = Integer(default=0)
    decided_by = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
