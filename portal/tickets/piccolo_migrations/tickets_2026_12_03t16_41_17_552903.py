from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T16:41:17:552903"
VERSION = "1.38.0"
DESCRIPTION = "tickets: working time to the first response, paused and to resolution ; indexes for reports"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="tickets", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Ticket",
        tablename="ticket",
        column_name="first_response_business_minutes",
        db_column_name="first_response_business_minutes",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Ticket",
        tablename="ticket",
        column_name="paused_business_minutes",
        db_column_name="paused_business_minutes",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Ticket",
        tablename="ticket",
        column_name="resolution_business_minutes",
        db_column_name="resolution_business_minutes",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_raw(_indexes)
    return manager


# What the reports filter and group by over a period: tickets by when they were resolved, events by
# ticket and kind in time order and the period's resolutions, ratings by moment.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ticket_resolved_at_reports ON ticket (resolved_at)",
    "CREATE INDEX IF NOT EXISTS ticket_event_ticket_kind_reports ON ticket_event (ticket, kind, created_at)",
    "CREATE INDEX IF NOT EXISTS ticket_event_moves_reports ON ticket_event (kind, new, created_at)",
    "CREATE INDEX IF NOT EXISTS ticket_rating_created_reports ON ticket_rating (created_at)",
)


async def _indexes():
    engine = engine_finder()
    for statement in INDEXES:
        await engine.run_ddl(statement)
