"""The background passes every portal process runs, each claimed in the database where it must run once."""
