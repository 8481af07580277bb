from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "inbound mail: a message is claimed in the transaction that settles it; old unsettled claims are let go"


async def _release_claims():
    # A row still "claimed" was left by a poller that died mid-message: its message is still in the
    # mailbox and must be taken again, which the new intake does only for messages it has no row of.
    await engine_finder().run_ddl("DELETE FROM inbound_mail WHERE status = 'claimed'")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="channels", description=DESCRIPTION)
    manager.add_raw(_release_claims)
    return manager
