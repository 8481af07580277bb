"""The outbox: every email to send, written in the transaction of the event that causes it."""

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OutboxMessage(Table):
    to_address = Varchar(length=254)
    subject = Varchar(length=300)
    body_text = Text()
    body_html = Text(default="")
    status = Varchar(length=10, default="pending", index=True)  # pending, sent, failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    # Threading: our Message-ID (stable across retries) and the root of the conversation it belongs to.
    message_id = Varchar(length=250, default="")
    thread_root = Varchar(length=250, default="")
