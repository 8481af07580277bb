"""Piccolo registration of the inbound mail table and its migrations."""

import os

from piccolo.conf.apps import AppConfig

from portal.channels.tables import InboundMail

APP_CONFIG = AppConfig(
    app_name="channels",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[InboundMail],
    migration_dependencies=["auth.piccolo_app", "portal.tickets.piccolo_app"],
)
