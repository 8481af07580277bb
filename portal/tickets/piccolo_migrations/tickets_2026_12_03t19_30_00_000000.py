from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T19:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tickets: a version of what each ticket's pages show (moved by the next migration's triggers)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Ticket",
        tablename="ticket",
        column_name="version",
        db_column_name="version",
        column_class_name="BigInt",
        column_class=BigInt,
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
    return manager
