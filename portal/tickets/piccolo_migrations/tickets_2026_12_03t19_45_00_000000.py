from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T19:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tickets: the staff queue's orders over every ticket (deadline either way, priority), the escalated ones"

# The staff queue over done tickets too ("all" or "closed": nearly all of a desk's history) reads its
# page along an index in the chosen order and stops there, instead of sorting 100,000 rows. The last
# update and the creation have their indexes already. The expressions are the queue's
# (portal.tickets.queue_views: NEXT_DUE, RANK_SQL) written the same way: a database uses an index on
# an expression only for that expression. No deadline comes last either way, hence two deadline orders.
NEXT_DUE = "CASE WHEN first_responded_at IS NULL THEN first_response_due ELSE resolution_due END"
RANK = "CASE priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3 ELSE 1 END"
INDEXES = (
    f"CREATE INDEX ticket_queue_deadline ON ticket ((({NEXT_DUE}) IS NULL), ({NEXT_DUE}), id)",
    f"CREATE INDEX ticket_queue_deadline_desc ON ticket ((({NEXT_DUE}) IS NULL), ({NEXT_DUE}) DESC, id DESC)",
    f"CREATE INDEX ticket_queue_priority ON ticket (({RANK}), id)",
    # The escalated view finds its few tickets among all of them here: with its statistics SQLite's
    # planner scanned the whole table rather than take "IS NOT NULL" on the column's full index.
    "CREATE INDEX ticket_escalated ON ticket (escalated_at) WHERE escalated_at IS NOT NULL",
)


async def _index_orders():
    engine = engine_finder()
    for statement in INDEXES:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(_index_orders)
    return manager
