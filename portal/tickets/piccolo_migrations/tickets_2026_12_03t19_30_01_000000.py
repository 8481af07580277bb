from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-03T19:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "tickets: a version the database moves on every change to a ticket or what hangs on it"

# What a ticket's pages show besides the ticket's own row: each change to one of these rows moves the
# version of its ticket.
PARTS = ("ticket_message", "ticket_attachment", "ticket_event", "ticket_rating", "ticket_follower")

# Versions come from one counter for all tickets, so that the highest version says whether any ticket
# changed (portal.tickets.freshness). Whatever an update writes into the column, the trigger replaces
# it (an object saved with a version read earlier cannot move it back).
#
# SQLite lets one writer in at a time: the highest version plus one is the counter, read through the
# index. Triggers do not fire themselves again (recursive_triggers is off), so the trigger's own
# update ends there; a part's trigger touches its ticket, whose trigger then moves the version.
_NEXT = "(SELECT COALESCE(MAX(version), 0) + 1 FROM ticket)"
SQLITE = [
    "CREATE INDEX ticket_version ON ticket (version)",
    "UPDATE ticket SET version = id",
    f"CREATE TRIGGER ticket_version_insert AFTER INSERT ON ticket "
    f"BEGIN UPDATE ticket SET version = {_NEXT} WHERE id = NEW.id; END",
    # Past the row's own old version too: the update may have written a lower one into the highest.
    "CREATE TRIGGER ticket_version_update AFTER UPDATE ON ticket BEGIN UPDATE ticket SET version = "
    "MAX(OLD.version, (SELECT COALESCE(MAX(version), 0) FROM ticket)) + 1 WHERE id = NEW.id; END",
    *(
        f"CREATE TRIGGER {part}_version_{event.lower()} AFTER {event} ON {part} "
        f"BEGIN UPDATE ticket SET version = 0 WHERE id IN ({rows}); END"
        for part in PARTS
        # A row moved to another ticket (a merge) changes both.
        for event, rows in (("INSERT", "NEW.ticket"), ("UPDATE", "OLD.ticket, NEW.ticket"), ("DELETE", "OLD.ticket"))
    ),
]
# PostgreSQL: a sequence, which concurrent writers take from without waiting for each other.
POSTGRES = [
    "CREATE SEQUENCE ticket_version_sequence",
    "UPDATE ticket SET version = nextval('ticket_version_sequence')",
    "CREATE INDEX ticket_version ON ticket (version)",
    "CREATE FUNCTION ticket_version_next() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN NEW.version := nextval('ticket_version_sequence'); RETURN NEW; END $$",
    "CREATE TRIGGER ticket_version BEFORE INSERT OR UPDATE ON ticket "
    "FOR EACH ROW EXECUTE FUNCTION ticket_version_next()",
    "CREATE FUNCTION ticket_part_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP <> 'INSERT' THEN UPDATE ticket SET version = 0 WHERE id = OLD.ticket; END IF; "
    "IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.ticket IS DISTINCT FROM OLD.ticket) THEN "
    "UPDATE ticket SET version = 0 WHERE id = NEW.ticket; END IF; "
    "RETURN NULL; END $$",
    *(
        f"CREATE TRIGGER {part}_version AFTER INSERT OR UPDATE OR DELETE ON {part} "
        "FOR EACH ROW EXECUTE FUNCTION ticket_part_changed()"
        for part in PARTS
    ),
]


async def _versions():
    engine = engine_finder()
    for statement in SQLITE if isinstance(engine, SQLiteEngine) else POSTGRES:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(_versions)
    return manager
