"""Notifications: the outbox, the email templates and the sender."""
