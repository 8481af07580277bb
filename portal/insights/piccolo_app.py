"""Piccolo registration of the insights tables and their migrations."""

import os

from piccolo.conf.apps import AppConfig

from portal.insights.tables import ArticleSource, Correction, GroupingRun, GroupMember, TicketGroup

APP_CONFIG = AppConfig(
    app_name="insights",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[TicketGroup, GroupMember, Correction, GroupingRun, ArticleSource],
    migration_dependencies=["auth.piccolo_app", "kb.piccolo_app", "portal.tickets.piccolo_app"],
)
