"""The service-level tables: support plans with their week and triage time, targets by plan, priority
and type, holiday calendars, and the escalations sent (one row per ticket and stage)."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

USER = LazyTableReference(table_class_name="User", app_name="auth")
TICKET = LazyTableReference(table_class_name="Ticket", app_name="tickets")
ORGANIZATION = LazyTableReference(table_class_name="Organization", module_path="auth.tables")


class HolidayCalendar(Table, tablename="sla_calendar"):
    """Days on which business hours do not count (PORTAL_HOLIDAYS are added to every calendar)."""

    slug = Varchar(length=40, unique=True)
    name = Varchar(length=100)


class Holiday(Table, tablename="sla_holiday"):
    calendar = ForeignKey(HolidayCalendar, on_delete=OnDelete.cascade, index=True)
    day = Date()
    name = Varchar(length=100, default="")


class OrganizationCalendar(Table, tablename="sla_org_calendar"):
    """An organization's own holidays (kept here: auth knows nothing of service levels)."""

    organization = ForeignKey(ORGANIZATION, unique=True, on_delete=OnDelete.cascade)
    calendar = ForeignKey(HolidayCalendar, on_delete=OnDelete.cascade, index=True)


class SupportPlan(Table, tablename="sla_plan"):
    """A support package; organizations name it by slug (auth.tables.Organization.support_plan)."""

    slug = Varchar(length=20, unique=True)
    name_en = Varchar(length=100)
    name_ru = Varchar(length=100)
    active = Boolean(default=True)  # a retired plan keeps serving the organizations still on it
    position = Integer(default=0)
    triage_minutes = Integer(default=15)  # a new ticket nobody took by then reaches the supervisors
    # Business hours, Monday = "0": {"0": [["09:00", "18:00"]], …}; JSON text, read by portal.sla.levels.
    week = Text(default="{}")
    holiday_calendar = ForeignKey(HolidayCalendar, null=True, default=None, on_delete=OnDelete.set_null)


class ServiceTarget(Table, tablename="sla_target"):
    """How long a first response and a resolution may take for one plan and priority; a row with a
    ticket type overrides the plan's general row ("") for that type."""

    plan = ForeignKey(SupportPlan, on_delete=OnDelete.cascade, index=True)
    priority = Varchar(length=10)
    ticket_type = Varchar(length=40, default="")
    first_response_minutes = Integer()
    resolution_minutes = Integer(null=True, default=None)  # None: no resolution deadline
    around_the_clock = Boolean(default=False)  # 24/7 instead of the plan's business hours
    customer_choice = Boolean(default=True)  # customers may pick this priority when filing


class Escalation(Table, tablename="sla_escalation"):
    """One escalation (or new-ticket announcement) of one ticket: the unique key is the claim that
    makes it happen once across every process and machine."""

    key = Varchar(length=40, unique=True)  # "<ticket id>:<stage>": Piccolo has no composite UNIQUE
    ticket = ForeignKey(TICKET, on_delete=OnDelete.cascade, index=True)
    stage = Varchar(length=30)  # announce, triage, first_response_warning, first_response_breach, resolution_…
    due_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
