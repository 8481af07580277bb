from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-03T19:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tickets: a version the database raises on every change to a ticket or what hangs on it"

# What a ticket's pages show besides the ticket's own row: each change to one of these rows raises the
# version of its ticket.
PARTS = ("ticket_message", "ticket_attachment", "ticket_event", "ticket_rating", "ticket_follower")

# SQLite: after any update of a ticket its version is the old one plus one, whatever the update wrote
# (an object saved with a version read earlier cannot move it back). Triggers do not fire themselves
# again (recursive_triggers is off), so the trigger's own update ends there.
SQLITE = [
    "CREATE TRIGGER ticket_version_update AFTER UPDATE ON ticket "
    "BEGIN UPDATE ticket SET version = OLD.version + 1 WHERE id = NEW.id; END",
    *(
        f"CREATE TRIGGER {part}_version_{event.lower()} AFTER {event} ON {part} "
        f"BEGIN UPDATE ticket SET version = version + 1 WHERE id IN ({rows}); END"
        for part in PARTS
        # A row moved to another ticket (a merge) changes both.
        for event, rows in (("INSERT", "NEW.ticket"), ("UPDATE", "OLD.ticket, NEW.ticket"), ("DELETE", "OLD.ticket"))
    ),
]
POSTGRES = [
    "CREATE FUNCTION ticket_version_raise() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN NEW.version := OLD.version + 1; RETURN NEW; END $$",
    "CREATE TRIGGER ticket_version_update BEFORE UPDATE ON ticket FOR EACH ROW EXECUTE FUNCTION ticket_version_raise()",
    "CREATE FUNCTION ticket_part_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP <> 'INSERT' THEN UPDATE ticket SET version = version + 1 WHERE id = OLD.ticket; END IF; "
    "IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.ticket IS DISTINCT FROM OLD.ticket) THEN "
    "UPDATE ticket SET version = version + 1 WHERE id = NEW.ticket; END IF; "
    "RETURN NULL; END $$",
    *(
        f"CREATE TRIGGER {part}_version AFTER INSERT OR UPDATE OR DELETE ON {part} "
        "FOR EACH ROW EXECUTE FUNCTION ticket_part_changed()"
        for part in PARTS
    ),
]


async def _triggers():
    engine = engine_finder()
    for statement in SQLITE if isinstance(engine, SQLiteEngine) else POSTGRES:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Ticket",
        tablename="ticket",
        column_name="version",
        db_column_name="version",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 1,
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
    manager.add_raw(_triggers)
    return manager
