"""Piccolo registration of the knowledge-base tables and their migrations."""

import os

from piccolo.conf.apps import AppConfig

from kb.tables import Article, Category, Deflection, Feedback, IndexChange, Revision, SearchLog

APP_CONFIG = AppConfig(
    app_name="kb",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Category, Article, Revision, Feedback, SearchLog, IndexChange, Deflection],
    migration_dependencies=["auth.piccolo_app"],
)
