"""The people of the ticket services' tests: a customer, another customer, three agents and a supervisor."""

import pytest

from auth.tables import Role
from tests.helpers import create_user


@pytest.fixture
async def people(settings):
    return {
        "ann": await create_user(settings, "ann@example.com", name="Ann"),
        "bob": await create_user(settings, "bob@example.com", name="Bob"),
        "agent": await create_user(settings, "agent@example.com", Role.AGENT, name="Alex Agent"),
        "other": await create_user(settings, "other@example.com", Role.AGENT, name="Olga Agent"),
        "colleague": await create_user(settings, "colleague@example.com", Role.AGENT, name="Cleo Colleague"),
        "boss": await create_user(settings, "boss@example.com", Role.SUPERVISOR, name="Boris Supervisor"),
    }
