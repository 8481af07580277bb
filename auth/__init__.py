"""Accounts: users, organizations, passwords, sessions, one-time tokens, roles and rate limits."""
