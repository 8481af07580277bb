"""Piccolo registration of the reports tables and their migrations."""

import os

from piccolo.conf.apps import AppConfig

from portal.reports.tables import SummarySent, SummarySubscriber

APP_CONFIG = AppConfig(
    app_name="reports",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[SummarySubscriber, SummarySent],
    migration_dependencies=[
        "auth.piccolo_app",
        "kb.piccolo_app",
        "portal.tickets.piccolo_app",
        "portal.sla.piccolo_app",
    ],
)
