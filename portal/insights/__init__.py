"""Recurring-ticket groups, ticket → article drafts and the reports built on them."""
