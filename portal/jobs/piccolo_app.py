"""Piccolo registration of the background work's table and its migrations."""

import os

from piccolo.conf.apps import AppConfig

from portal.jobs.tables import Lease

APP_CONFIG = AppConfig(
    app_name="jobs",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Lease],
    migration_dependencies=[],
)
