"""Demo accounts and tickets for a new development database, so a first run has someone to sign in as
and the queue and "Recurring questions" have something real to show."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from auth import organizations
from auth.tables import Role, SupportPlan, User
from portal.accounts import flows as account_flows
from portal.db import write_transaction
from portal.insights import recurring
from portal.settings import Settings
from portal.tickets import conversation
from portal.tickets.filing import NewTicket, open_ticket

DEMO_ORGANIZATION = "Demo Company"
ACCOUNTS_FILE = "demo-accounts.txt"  # in the data directory: the demo accounts' passwords, readable by the owner only
# What the demo customer asked: the same few questions in other words, as a help desk sees them.
DEMO_TICKETS = [
    ("The password reset email never arrives", "I asked for a reset link three times and got nothing."),
    ("No password reset email", "The reset link does not come, not even in spam."),
    ("Password reset mail missing", "I requested a password reset twice, the email has not arrived."),
    ("Where is the invoice for my last order?", "I cannot find the invoice PDF for my order in the account."),
    ("Invoice PDF missing from my order", "The order page shows no invoice to download."),
    ("Need the invoice for order 1234", "Please send the invoice for my order; it is not in my account."),
    ("Printer shows error E-17 after the update", "Since the firmware update the printer stops with E-17."),
]
DEMO_ANSWER = "Thanks for waiting: the firmware 2.4.1 fixes E-17. Install it from Settings → Updates."


@dataclass(frozen=True, slots=True)
class DemoAccount:
    role: Role
    email: str
    name: str
    password: str


def _accounts() -> list[DemoAccount]:
    # Random passwords: a demo database reachable from a network must not have guessable ones.
    def pw() -> str:
        return secrets.token_urlsafe(9)

    return [
        DemoAccount(Role.CUSTOMER, "customer@example.com", "Anna Customer", pw()),
        DemoAccount(Role.AGENT, "agent@example.com", "Boris Agent", pw()),
        DemoAccount(Role.SUPERVISOR, "supervisor@example.com", "Sofia Supervisor", pw()),
        DemoAccount(Role.ADMIN, "admin@example.com", "Alex Admin", pw()),
    ]


async def seed_if_empty(settings: Settings) -> list[DemoAccount]:
    """Create the demo organization and accounts when the database has no user yet."""
    if await User.count() > 0:
        return []
    created = _accounts()
    async with write_transaction():
        org = await organizations.create(DEMO_ORGANIZATION, SupportPlan.STANDARD, shares_tickets=True)
        for demo in created:
            await account_flows.create_account(
                settings,
                demo.email,
                demo.name,
                demo.role,
                organization_id=org.id if demo.role == Role.CUSTOMER else None,
                password=demo.password,
            )
    _remember(settings.data_dir / ACCOUNTS_FILE, created)
    await _demo_tickets(settings)
    return created


async def _demo_tickets(settings: Settings) -> None:
    """The demo customer's tickets, the last one answered and resolved (ready to rate), grouped once."""
    customer = await User.objects().where(User.email == "customer@example.com").first()
    agent = await User.objects().where(User.email == "agent@example.com").first()
    ticket = None
    for subject, description in DEMO_TICKETS:
        ticket = await open_ticket(
            settings, customer, NewTicket(type="question", subject=subject, description=description)
        )
    if ticket is not None:
        await conversation.reply(settings, agent, ticket, DEMO_ANSWER, then="resolved")
    await recurring.rebuild()


def _remember(path: Path, created: list[DemoAccount]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        for demo in created:
            handle.write(f"{demo.role.value}\t{demo.email}\t{demo.password}\n")
