"""Fixtures of the OpenID Connect tests: the real provider, and a portal configured to use it."""

from __future__ import annotations

import httpx
import pytest

from portal.web.app import create_app
from tests.conftest import browser, make_settings
from tests.oidc import harness

PORTAL = "http://portal.test"


@pytest.fixture(scope="module")
def idp():
    with harness.provider([f"{PORTAL}/auth/oidc/acme/callback"]) as running:
        yield running


@pytest.fixture
def oidc_settings(tmp_path, database_url, idp):
    return make_settings(tmp_path, database_url, **idp.env())


@pytest.fixture
async def portal(oidc_settings):
    async with browser(create_app(oidc_settings)) as client:
        yield client


@pytest.fixture
async def at_provider():
    """The same person's browser as seen by the provider: its own cookies there."""
    async with httpx.AsyncClient(timeout=10) as client:
        yield client
