"""The `portal` command line."""

from portal.cli.commands import main

__all__ = ["main"]
