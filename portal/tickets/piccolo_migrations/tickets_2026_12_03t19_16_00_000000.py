from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-03T19:16:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tickets: the time in each status of older tickets, read from their timelines; the reports' indexes on the timeline"

STAGES = ("new", "open", "pending", "resolved")
# Each move ends a spell in the status it leaves (`old`), begun at the move before it or at filing.
BACKFILL = """
WITH spells AS (
    SELECT e.ticket, e.old, e.created_at AS until,
           LAG(e.created_at) OVER (PARTITION BY e.ticket ORDER BY e.created_at, e.id) AS since
    FROM ticket_event e WHERE e.kind IN ('status', 'reopened')
), spent AS (
    SELECT s.ticket, MAX(s.until) AS last, {sums}
    FROM spells s JOIN ticket t ON t.id = s.ticket GROUP BY s.ticket
)
UPDATE ticket SET status_since = spent.last, {sets} FROM spent WHERE ticket.id = spent.ticket
"""
# The reports read the time in each status from the ticket now, not the timeline by ticket and kind; of
# the timeline they count only the period's resolutions, which a partial index holds alone (a twentieth
# of the events), with their tickets to join.
INDEXES = (
    "DROP INDEX IF EXISTS ticket_event_ticket_kind_reports",
    "DROP INDEX IF EXISTS ticket_event_moves_reports",
    "CREATE INDEX IF NOT EXISTS ticket_event_resolutions_reports ON ticket_event (created_at, ticket) "
    "WHERE kind = 'status' AND new = 'resolved'",
)


def backfill_statement(postgres: bool) -> str:
    seconds = (
        "EXTRACT(EPOCH FROM (s.until - COALESCE(s.since, t.created_at)))"
        if postgres
        else "(julianday(s.until) - julianday(COALESCE(s.since, t.created_at))) * 86400.0"
    )
    sums = ", ".join(f"SUM(CASE WHEN s.old = '{status}' THEN ROUND({seconds}) END) AS s_{status}" for status in STAGES)
    sets = ", ".join(f"seconds_{status} = spent.s_{status}" for status in STAGES)
    return BACKFILL.format(sums=sums, sets=sets)


async def backfill():
    """Every moved ticket's time in each status, as its timeline tells it."""
    engine = engine_finder()
    await engine.run_ddl(backfill_statement(isinstance(engine, PostgresEngine)))


async def _indexes():
    engine = engine_finder()
    for statement in INDEXES:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(backfill)
    manager.add_raw(_indexes)
    return manager
