"""Piccolo registration of the accounts tables and their migrations."""

import os

from piccolo.conf.apps import AppConfig

from auth.tables import (
    ApiToken,
    AuthSession,
    OidcIdentity,
    OidcLogin,
    OidcPendingLink,
    OneTimeToken,
    Organization,
    RateLimitHit,
    User,
)

APP_CONFIG = AppConfig(
    app_name="auth",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        Organization,
        User,
        AuthSession,
        OneTimeToken,
        RateLimitHit,
        OidcIdentity,
        OidcLogin,
        OidcPendingLink,
        ApiToken,
    ],
)
