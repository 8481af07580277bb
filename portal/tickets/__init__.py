"""Tickets: filing, the conversation, the status workflow and its timeline (no Litestar here)."""
