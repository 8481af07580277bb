"""Piccolo registration of the tickets tables and their migrations."""

import os

from piccolo.conf.apps import AppConfig

from portal.tickets.tables import (
    Attachment,
    CannedReply,
    CustomField,
    Event,
    Follower,
    GroupMember,
    Message,
    QueueChoice,
    Rating,
    StaffGroup,
    Ticket,
    TicketType,
)

APP_CONFIG = AppConfig(
    app_name="tickets",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        TicketType,
        CustomField,
        Ticket,
        Message,
        Attachment,
        Event,
        Rating,
        StaffGroup,
        GroupMember,
        QueueChoice,
        CannedReply,
        Follower,
    ],
    migration_dependencies=["auth.piccolo_app"],
)
