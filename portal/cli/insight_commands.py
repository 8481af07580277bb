"""`portal insights …`: load ticket history, group similar tickets, print the groups."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from auth.errors import AccountError
from portal.cli import support
from portal.i18n import LOCALES


@click.group()
def insights() -> None:
    """Recurring questions: load ticket history, group similar tickets, print the groups."""


@insights.command("import-tickets")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--requester",
    default="imported@example.com",
    show_default=True,
    help="The customer account the tickets are filed under (made if missing).",
)
@click.option("--locale", type=click.Choice(LOCALES), default="en", show_default=True)
def insights_import(path: Path, requester: str, locale: str) -> None:
    """Load closed tickets from JSON lines: `id` (kept as the external reference), `text`, optional `response`."""
    from portal.insights.imports import TicketFileError, import_tickets

    settings = support.settings()
    with path.open(encoding="utf-8") as handle:
        total = sum(1 for line in handle if line.strip())

    async def load():
        await support.ready(settings)
        with support.progress(total, "Importing") as advance:
            return await import_tickets(path, requester_email=requester, locale=locale, progress=advance)

    try:
        result = support.run(load())
    except (TicketFileError, AccountError) as exc:
        raise click.ClickException(f"nothing imported: {exc}") from exc
    click.echo(f"Imported {result.created} tickets; {result.skipped} were already there.")


@insights.command("rebuild")
def insights_rebuild() -> None:
    """Group the tickets of the last year anew (the server also does this when tickets change)."""
    from portal.jobs import regrouping

    settings = support.settings()
    bars: list = []

    async def run():
        await support.ready(settings)
        try:
            return await regrouping.rebuild_now(progress)
        except regrouping.RebuildRunning as exc:
            raise click.ClickException("another process is rebuilding the groups now; try again later") from exc

    with contextlib.ExitStack() as stack:

        def progress(done: int, total: int) -> None:
            # The total is known once the tickets are read: the bar starts then.
            if not bars:
                bars.append(stack.enter_context(click.progressbar(length=total, label="Grouping", file=sys.stderr)))
            bars[0].update(done - bars[0].pos)

        result = support.run(run())
    click.echo(f"Grouped {result.tickets} tickets into {result.groups} groups in {result.seconds:.1f} s.")


@insights.command("groups")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def insights_groups(fmt: str) -> None:
    """The current groups, largest first; tickets by external reference where they have one, else number."""
    from portal.insights.overview import export

    settings = support.settings()

    async def read():
        await support.ready(settings)
        return await export()

    found = support.run(read())
    if fmt == "json":
        click.echo(json.dumps({"groups": found}, ensure_ascii=False))
        return
    for g in found:
        click.echo(f"{g['size']:>5}  {g['title']}")
