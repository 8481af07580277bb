"""`portal sla export|import`: service levels as one JSON document, as /admin/service-levels edits them."""

from __future__ import annotations

import json
import sys

import click

from portal.cli import support


@click.group()
def sla() -> None:
    """Service levels: plans, targets, business weeks, triage times and holiday calendars as JSON."""


@sla.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None, help="Default: stdout.")
def sla_export(output: str | None) -> None:
    """Write every plan and holiday calendar as JSON."""
    from portal.sla import transfer

    settings = support.settings()

    async def read() -> dict:
        await support.ready(settings)
        return await transfer.export()

    text = json.dumps(support.run(read()), ensure_ascii=False, indent=2) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


@sla.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def sla_import(file) -> None:
    """Check a JSON document of service levels whole, then apply it in one transaction (all or nothing).
    Plans and calendars the file names are made as it says; others stay as they are."""
    from portal.sla import transfer
    from portal.sla.rules import LevelRefused

    try:
        document = json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file.name} is not JSON: {exc}") from exc
    settings = support.settings()

    async def apply() -> int:
        await support.ready(settings)
        return await transfer.import_levels(document)

    try:
        changes = support.run(apply())
    except LevelRefused as exc:
        raise click.ClickException(f"refused, nothing changed: {exc.field or 'document'}: {exc.code}") from exc
    click.echo(f"Imported service levels: {changes} change(s)." if changes else "Nothing to change.")
