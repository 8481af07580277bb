from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-23T04:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ratings: the database itself refuses a score outside 1-5"

SQLITE = [
    # SQLite cannot add a CHECK to an existing table; triggers refuse the same rows.
    "CREATE TRIGGER ticket_rating_score_insert BEFORE INSERT ON ticket_rating "
    "WHEN NEW.score NOT BETWEEN 1 AND 5 BEGIN SELECT RAISE(ABORT, 'ticket_rating.score must be 1-5'); END",
    "CREATE TRIGGER ticket_rating_score_update BEFORE UPDATE OF score ON ticket_rating "
    "WHEN NEW.score NOT BETWEEN 1 AND 5 BEGIN SELECT RAISE(ABORT, 'ticket_rating.score must be 1-5'); END",
]
POSTGRES = ["ALTER TABLE ticket_rating ADD CONSTRAINT ticket_rating_score_range CHECK (score BETWEEN 1 AND 5)"]


async def _constrain_scores():
    engine = engine_finder()
    for statement in SQLITE if isinstance(engine, SQLiteEngine) else POSTGRES:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(_constrain_scores)
    return manager
