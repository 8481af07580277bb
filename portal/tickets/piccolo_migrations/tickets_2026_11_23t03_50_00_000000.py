from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T03:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ticket types out of the box (admins rename, add and retire them later)"

DEFAULT_TYPES = [
    ("question", "Question", "Вопрос"),
    ("incident", "Incident", "Инцидент"),
    ("critical_incident", "Critical incident", "Критический инцидент"),
    ("feature_request", "Feature request", "Пожелание"),
    ("complaint", "Complaint", "Жалоба"),
    ("feedback", "Feedback", "Отзыв"),
    ("pricing_request", "Pricing request", "Запрос цены и условий"),
]


async def _seed_types():
    engine = engine_finder()
    for position, (slug, name_en, name_ru) in enumerate(DEFAULT_TYPES):
        # Constants of this file, not input: formatting them into the statement is safe.
        await engine.run_ddl(
            "INSERT INTO ticket_type (slug, name_en, name_ru, position, active) "
            f"VALUES ('{slug}', '{name_en}', '{name_ru}', {position}, true)"
        )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(_seed_types)
    return manager
