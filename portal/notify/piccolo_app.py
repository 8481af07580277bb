"""Piccolo registration of the outbox table and its migrations."""

import os

from piccolo.conf.apps import AppConfig

from portal.notify.tables import OutboxMessage

APP_CONFIG = AppConfig(
    app_name="notify",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[OutboxMessage],
)
