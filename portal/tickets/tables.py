"""The tickets tables: types and their custom fields, tickets, messages, attachments, the timeline,
and ratings."""

from piccolo.columns import JSON, BigInt, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

USER = LazyTableReference(table_class_name="User", module_path="auth.tables")
ORGANIZATION = LazyTableReference(table_class_name="Organization", module_path="auth.tables")
NUMBER_BASE = 1000  # ticket #1001 is the first: numbers people read out on the phone


class StaffGroup(Table, tablename="staff_group"):
    """A team with a shared pool ("Support L1", "Repairs", "Sales"): ticket types route new tickets to it."""

    name = Varchar(length=100, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class GroupMember(Table, tablename="staff_group_member"):
    """An agent in a group, or a supervisor attached to it (a supervisor attached to none oversees all)."""

    key = Varchar(length=40, unique=True)  # "<group id>:<user id>": Piccolo has no composite UNIQUE
    staff_group = ForeignKey(StaffGroup, on_delete=OnDelete.cascade, index=True)
    member = ForeignKey(USER, on_delete=OnDelete.cascade, index=True)
    supervises = Boolean(default=False)


class TicketType(Table, tablename="ticket_type"):
    """What a ticket is about; admins rename, add and retire types (old tickets keep theirs)."""

    slug = Varchar(length=40, unique=True)
    name_en = Varchar(length=100)
    name_ru = Varchar(length=100)
    position = Integer(default=0)
    active = Boolean(default=True)
    # New tickets of this type land in the group's pool ("group" is an SQL keyword: hence the name).
    staff_group = ForeignKey(StaffGroup, null=True, default=None, on_delete=OnDelete.set_null)


class CustomField(Table, tablename="ticket_custom_field"):
    """A question asked when filing a ticket of one type (invoice number, product, serial number…)."""

    ticket_type = ForeignKey(TicketType, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=40)
    label_en = Varchar(length=100)
    label_ru = Varchar(length=100)
    kind = Varchar(length=10, default="text")  # text, number, choice, date
    choices = Text(default="")  # one per line, for kind "choice"
    required = Boolean(default=False)
    position = Integer(default=0)
    active = Boolean(default=True)


class Ticket(Table):
    requester = ForeignKey(USER, on_delete=OnDelete.restrict, index=True)
    organization = ForeignKey(ORGANIZATION, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    type = Varchar(length=40)
    priority = Varchar(length=10, default="normal")
    status = Varchar(length=10, default="new", index=True)
    subject = Varchar(length=200)
    description = Text()
    # The description's Markdown as HTML, stored when written (or at its first view): never re-rendered.
    description_html = Text(null=True, default=None)
    custom_fields = JSON(default="{}")
    channel = Varchar(length=10, default="web")
    assignee = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    staff_group = ForeignKey(StaffGroup, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    first_response_due = Timestamptz(null=True, default=None)
    resolution_due = Timestamptz(null=True, default=None)
    # Escalation (portal.sla.escalation): the plan's triage moment, the warnings before the deadlines
    # (moved with them), when the pass must look at the ticket next, and since when it is escalated.
    triage_due = Timestamptz(null=True, default=None)
    first_response_warn_at = Timestamptz(null=True, default=None)
    resolution_warn_at = Timestamptz(null=True, default=None)
    escalate_at = Timestamptz(null=True, default=None, index=True)
    escalated_at = Timestamptz(null=True, default=None, index=True)
    paused_at = Timestamptz(null=True, default=None)  # waiting for the customer since
    first_responded_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    resolutions = Integer(default=0)  # times resolved: a rating belongs to one resolution
    # Working time in the ticket's calendar (as its deadlines count it), written when it happens so that
    # reports aggregate it in SQL: to the first response; paused while pending; to the last resolution
    # less the pauses.
    first_response_business_minutes = Integer(null=True, default=None)
    paused_business_minutes = Integer(default=0)
    resolution_business_minutes = Integer(null=True, default=None)
    # Time in each status (portal.tickets.status_time), kept as it moves so that reports add it up in SQL:
    # the seconds of the spells in a status that ended (NULL until the ticket first leaves it), and since
    # when it holds the status it is in (NULL: since it was filed).
    status_since = Timestamptz(null=True, default=None)
    seconds_new = Integer(null=True, default=None)
    seconds_open = Integer(null=True, default=None)
    seconds_pending = Integer(null=True, default=None)
    seconds_resolved = Integer(null=True, default=None)
    # "<requester id>:<key>": a retried or double-clicked filing finds the ticket it already made.
    idempotency_key = Varchar(length=160, null=True, default=None, unique=True)
    external_ref = Varchar(length=120, null=True, default=None, index=True)
    # A duplicate merged into another ticket (portal.tickets.merging) closes pointing at the survivor's id.
    merged_into = Integer(null=True, default=None, index=True)
    # Moved by the database on every change to the ticket or to its messages, files, timeline, ratings
    # and followers (triggers, whatever code writes them), from one counter for all tickets: a page
    # rendered at the versions it read is still true while they are the same (portal.tickets.freshness).
    version = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())  # indexed by the queue migration


class Message(Table, tablename="ticket_message"):
    ticket = ForeignKey(Ticket, on_delete=OnDelete.cascade, index=True)
    author = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    body = Text()
    body_html = Text(null=True, default=None)  # the body rendered, as description_html
    internal = Boolean(default=False)  # an internal note: never shown or mailed to the customer
    created_at = Timestamptz(default=TimestamptzNow())


class Attachment(Table, tablename="ticket_attachment"):
    ticket = ForeignKey(Ticket, on_delete=OnDelete.cascade, index=True)
    message = ForeignKey(Message, null=True, default=None, on_delete=OnDelete.set_null)
    filename = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    uploaded_by = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class Event(Table, tablename="ticket_event"):
    """The timeline: every change, who made it, and whether the customer sees it."""

    ticket = ForeignKey(Ticket, on_delete=OnDelete.cascade, index=True)
    actor = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    kind = Varchar(length=20)  # created, status, assigned, priority, reopened, rated
    old = Varchar(length=100, default="")
    new = Varchar(length=100, default="")
    public = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Rating(Table, tablename="ticket_rating"):
    """How the customer rated one resolution; `key` keeps it to one per resolution."""

    key = Varchar(length=40, unique=True)  # "<ticket id>:<resolution number>"
    ticket = ForeignKey(Ticket, on_delete=OnDelete.cascade, index=True)
    resolution = Integer()
    score = Integer()
    comment = Text(default="")
    agent = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class QueueChoice(Table, tablename="staff_queue_choice"):
    """The view, sort and filters an agent last chose on the staff queue, as its query string."""

    agent = ForeignKey(USER, unique=True, on_delete=OnDelete.cascade)
    query = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class CannedReply(Table, tablename="canned_reply"):
    """A saved answer agents insert into replies: an agent's own (owner set) or shared by all (no owner)."""

    owner = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    locale = Varchar(length=5, default="en", index=True)
    title = Varchar(length=200)
    body = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Follower(Table, tablename="ticket_follower"):
    """Someone who follows a ticket besides its requester and assignee: a co-executor on the staff side,
    or a customer of the ticket's organization in copy (cc) on the customer side."""

    key = Varchar(length=40, unique=True)  # "<ticket id>:<user id>": one role per person and ticket
    ticket = ForeignKey(Ticket, on_delete=OnDelete.cascade, index=True)
    follower = ForeignKey(USER, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=12)  # "co-executor" or "cc"
    added_by = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
