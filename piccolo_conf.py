"""Piccolo's configuration: the apps, and the engine named by PORTAL_DATABASE_URL.

The running portal rebinds the engine from its Settings (portal.db.bind); this module gives
Piccolo's own CLI (`piccolo migrations new … --auto`) the same database.
"""

from piccolo.conf.apps import AppRegistry

from portal.db import engine_for
from portal.settings import database_url_from_env

DB = engine_for(database_url_from_env())

APP_REGISTRY = AppRegistry(
    apps=[
        "auth.piccolo_app",
        "kb.piccolo_app",
        "portal.notify.piccolo_app",
        "portal.tickets.piccolo_app",
        "portal.sla.piccolo_app",
        "portal.insights.piccolo_app",
        "portal.channels.piccolo_app",
        "portal.reports.piccolo_app",
        "portal.jobs.piccolo_app",
    ]
)
