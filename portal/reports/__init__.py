"""The supervisor's reports: one function per report, computed in SQL on SQLite and PostgreSQL."""
