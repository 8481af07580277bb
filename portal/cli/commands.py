"""The `portal` command: serve, migrate, createuser, token, kb, reindex, mail, send-mail (and insights, org)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from auth.errors import AccountError
from auth.tables import Role
from kb import files
from kb.articles import ArticleError
from kb.files import count_inputs
from kb.frontmatter import ArticleFormatError
from kb.indexing import IndexSync, index_at
from kb.tables import Article
from portal import db, logs
from portal.cli import support
from portal.cli.insight_commands import insights
from portal.cli.org_commands import org
from portal.cli.sla_commands import sla
from portal.i18n import LOCALES
from portal.knowledge import content
from portal.settings import Settings


@click.group()
def main() -> None:
    """The customer support portal."""


WORKERS_KILL_TIMEOUT_S = 10


@main.command()
@click.option("--host", default=None, help="Address to listen on (PORTAL_HOST, default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (PORTAL_PORT, default 8000).")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="Worker processes (default: one per CPU, at most 8).",
)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Apply migrations, create demo accounts on a new database, and serve the portal."""
    from portal.cli.demo import ACCOUNTS_FILE, seed_if_empty

    if host:
        os.environ["PORTAL_HOST"] = host
    if port:
        os.environ["PORTAL_PORT"] = str(port)
    settings = support.settings()
    support.check_listening_address(settings.host, settings.port)
    if workers is None:
        # One per CPU, at most 8: on PostgreSQL each keeps up to db.POSTGRES_POOL_SIZE connections, and
        # it allows 100 by default. On SQLite the processes' writers queue on an OS lock beside the
        # database (portal.db.sqlite_lock) and readers never wait for them (WAL).
        workers = min(os.cpu_count() or 1, 8)

    async def prepare() -> tuple[list, object]:
        await support.ready(settings)
        demo = await seed_if_empty(settings) if settings.demo_accounts else []
        return demo, await content.load_shipped_content(_index(settings), settings.content_dir)

    demo, loaded = support.run(prepare())
    where = "SQLite " + settings.database_url.removeprefix("sqlite:///") if settings.uses_sqlite else "PostgreSQL"
    click.echo(f"Database: {where} (migrations applied)")
    if loaded is not None:
        click.echo(f"Knowledge base: loaded {loaded.changed} articles from {settings.content_dir}")
    if demo:
        click.echo(f"Demo accounts (also saved in {settings.data_dir / ACCOUNTS_FILE}):")
        for account in demo:
            click.echo(f"  {account.role.value:<10} {account.email:<24} password: {account.password}")
    click.echo(f"Portal: http://{settings.host}:{settings.port}/  (public address {settings.base_url})")
    # This process only starts and watches the workers: it becomes a fresh granian process (exec) instead
    # of keeping the hundred megabytes this command imported to prepare the database.
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", settings.host]
    command += ["--port", str(settings.port), "--workers", str(workers), "--no-access-log"]
    # A worker that dies (a crash, the OOM killer, kill -9) is replaced instead of leaving the server with
    # fewer workers, or none. On SIGTERM each worker stops accepting, finishes its requests and runs the
    # app's shutdown (background passes, search threads, pools); one still running after the kill timeout
    # is killed, so a stopped server never leaves a worker behind.
    command += ["--respawn-failed-workers", "--workers-kill-timeout", str(WORKERS_KILL_TIMEOUT_S)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [*command, "portal.web.asgi:app"])  # noqa: S606 (our own arguments, no shell)


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    applied = support.run(support.ready(support.settings()))
    click.echo("Applied: " + ", ".join(applied) if applied else "The database is up to date.")


@main.command()
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CUSTOMER.value, show_default=True)
@click.option("--name", default=None, help="Display name (default: the part of the email before @).")
@click.option("--password", default=None, help="Prompted for when not given.")
@click.option("--organization", default=None, help="Organization name; created if it does not exist.")
def createuser(email: str, role: str, name: str | None, password: str | None, organization: str | None) -> None:
    """Create a verified account with a role."""
    from auth import organizations
    from portal.accounts.flows import create_account

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = support.settings()

    async def create():
        await support.ready(settings)
        org_id = None
        async with db.write_transaction():
            if organization:
                org = await organizations.find_by_name(organization) or await organizations.create(organization)
                org_id = org.id
            return await create_account(
                settings, email, name or email.split("@")[0], Role(role), organization_id=org_id, password=password
            )

    try:
        user = support.run(create())
    except AccountError as exc:
        raise click.ClickException(f"cannot create the account: {exc.code}") from exc
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@main.group()
def token() -> None:
    """Personal API tokens (the same ones people create on their profile page)."""


@token.command("create")
@click.option("--email", required=True, help="The account the token acts as.")
@click.option("--name", default="command line", show_default=True, help="What will use it.")
def token_create(email: str, name: str) -> None:
    """Create a token and print it: it is shown this once and stored only as a hash."""
    from auth import api_tokens, users

    settings = support.settings()

    async def create() -> str:
        await support.ready(settings)
        user = await users.find_by_email(email)
        if user is None or not user.is_active:
            raise click.ClickException(f"no active account {email}")
        raw = await api_tokens.create(user, name)
        logs.security_event("api_token_created", "success", user_id=user.id, client="command line")
        return raw

    try:
        raw = support.run(create())
    except AccountError as exc:
        raise click.ClickException(f"cannot create the token: {exc.code}") from exc
    # Only the token on stdout, so that scripts can capture it; the advice goes to stderr.
    click.echo(raw)
    click.echo("Copy it now: it cannot be shown again.", err=True)


@token.command("revoke")
@click.option("--email", required=True)
@click.option("--id", "token_id", type=int, default=None, help="Revoke this token (default: list them).")
def token_revoke(email: str, token_id: int | None) -> None:
    """List an account's live tokens, or revoke one by id."""
    from auth import api_tokens, users

    settings = support.settings()

    async def act() -> list[dict]:
        await support.ready(settings)
        user = await users.find_by_email(email)
        if user is None:
            raise click.ClickException(f"no account {email}")
        if token_id is not None:
            await api_tokens.revoke(user, token_id)
            logs.security_event(
                "api_token_revoked", "success", user_id=user.id, token_id=token_id, client="command line"
            )
            return []
        return await api_tokens.list_for(user)

    try:
        live = support.run(act())
    except AccountError as exc:
        raise click.ClickException(f"no token {token_id} of {email}") from exc
    if token_id is not None:
        click.echo(f"Revoked token {token_id}.")
    for row in live:
        used = row["last_used_at"].isoformat(timespec="seconds") if row["last_used_at"] else "never used"
        click.echo(f"{row['id']:>5}  {row['name']:<30} created {row['created_at']:%Y-%m-%d}  {used}")


def _index(settings: Settings) -> IndexSync:
    return IndexSync(index_at(settings.data_dir))


@main.group()
def kb() -> None:
    """Import and export knowledge-base articles."""


@kb.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--locale",
    type=click.Choice(LOCALES),
    default=None,
    help="Language of articles that do not name theirs (default: en, or the folder's en/ or ru/).",
)
def kb_import(path: Path, locale: str | None) -> None:
    """Upsert articles by slug from a folder of Markdown files or a .jsonl file, and publish them."""
    settings = support.settings()
    try:
        total = count_inputs(path)
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc

    async def load():
        await support.ready(settings)
        with support.progress(total, "Importing") as advance:
            return await content.import_articles(_index(settings), path, locale, advance)

    try:
        result = support.run(load())
    except (ArticleFormatError, ArticleError) as exc:
        raise click.ClickException(f"nothing imported: {exc}") from exc
    click.echo(
        f"Imported {result.changed + result.unchanged} articles: {result.changed} new or changed, "
        f"{result.unchanged} unchanged."
    )


@kb.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def kb_export(directory: Path) -> None:
    """Write every article as Markdown with front matter (drafts and archived ones in their own folders)."""
    settings = support.settings()

    async def dump():
        await support.ready(settings)
        return await files.export(directory)

    click.echo(f"Exported {support.run(dump())} articles to {directory}.")


@main.command()
def reindex() -> None:
    """Rebuild the search index from the database and swap it in."""
    settings = support.settings()

    async def rebuild():
        await support.ready(settings)
        sync = _index(settings)
        total = await Article.count()
        with support.progress(total, "Indexing") as advance:
            return await sync.rebuild(advance)

    click.echo(f"Indexed {support.run(rebuild())} articles.")


@main.group()
def mail() -> None:
    """Read the local mailbox the portal delivers into when PORTAL_SMTP_URL is not set; take mail in."""


@mail.command("list")
def mail_list() -> None:
    from portal.notify.mailbox import letters

    found = letters(support.settings().maildir)
    if not found:
        click.echo("The mailbox is empty.")
    for letter in found:
        click.echo(f"{letter.number:>4}  {letter.date:<32} {letter.to:<30} {letter.subject}")


@mail.command("show")
@click.argument("number", type=int)
def mail_show(number: int) -> None:
    from portal.notify.mailbox import letters, text_of

    found = {letter.number: letter for letter in letters(support.settings().maildir)}
    if number not in found:
        raise click.ClickException(f"no message {number}; `portal mail list` shows what there is")
    letter = found[number]
    click.echo(f"From: {letter.message['From']}\nTo: {letter.to}\nDate: {letter.date}\nSubject: {letter.subject}\n")
    click.echo(text_of(letter.message))


@mail.command("receive")
def mail_receive() -> None:
    """Take one RFC 822 message from standard input (an MTA's pipe): a ticket, a reply or a held message.
    Exits 75 (try again later) when the database fails, so that the MTA keeps the message."""
    import sys

    from portal.channels import intake

    settings = support.settings()
    raw = sys.stdin.buffer.read(settings.inbound_max_bytes + 1)

    async def take():
        await support.ready(settings)
        return await intake.receive(settings, raw)

    try:
        outcome = support.run(take())
    except Exception as exc:
        click.echo(f"not processed, try again later: {exc}", err=True)
        sys.exit(75)
    click.echo(f"{outcome.status} {outcome.reason} {f'#{outcome.number}' if outcome.number else ''}".strip())


@mail.command("fetch")
@click.option("--url", default=None, help="The mailbox (default: PORTAL_IMAP_URL).")
def mail_fetch(url: str | None) -> None:
    """Process every message in the IMAP mailbox once; each is removed after its outcome is committed."""
    from portal.channels import imap_poll

    settings = support.settings()
    url = url or settings.imap_url
    if not url:
        raise click.ClickException("set PORTAL_IMAP_URL (imaps://user:password@host/INBOX) or pass --url")

    async def poll():
        await support.ready(settings)
        return await imap_poll.fetch(settings, url)

    try:
        counts = support.run(poll())
    except imap_poll.MailboxError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "The mailbox is empty.")


@main.command("send-mail")
@click.option("--once", is_flag=True, help="Deliver what is due and exit.")
def send_mail(once: bool) -> None:
    """Deliver queued mail (the server does this too; run this for a dedicated mail worker)."""
    from portal.jobs import passes
    from portal.notify import sender

    settings = support.settings()

    async def deliver():
        await support.ready(settings)
        if once:
            return await sender.deliver_due(
                sender.transport_for(settings.smtp_url, settings.maildir), settings.mail_from
            )
        await passes.run(settings)

    result = support.run(deliver())
    if once:
        click.echo(f"Sent {result[0]}, failed {result[1]}.")


main.add_command(insights)
main.add_command(org)
main.add_command(sla)
