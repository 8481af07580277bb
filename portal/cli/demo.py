"""Demo accounts for a new development database, so a first run has someone to sign in as."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from auth import organizations
from auth.tables import Role, SupportPlan, User
from portal.accounts import flows as account_flows
from portal.db import write_transaction
from portal.settings import Settings

DEMO_ORGANIZATION = "Demo Company"


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
    _remember(settings.data_dir / "demo-accounts.txt", created)
    return created


def _remember(path: Path, created: list[DemoAccount]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        for demo in created:
            handle.write(f"{demo.role.value}\t{demo.email}\t{demo.password}\n")
