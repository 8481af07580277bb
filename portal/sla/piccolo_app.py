"""Piccolo registration of the service-level tables and their migrations."""

import os

from piccolo.conf.apps import AppConfig

from portal.sla.tables import (
    Escalation,
    Holiday,
    HolidayCalendar,
    OrganizationCalendar,
    ServiceTarget,
    SupportPlan,
)

APP_CONFIG = AppConfig(
    app_name="sla",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[HolidayCalendar, Holiday, SupportPlan, ServiceTarget, Escalation, OrganizationCalendar],
    migration_dependencies=["auth.piccolo_app", "portal.tickets.piccolo_app"],
)
