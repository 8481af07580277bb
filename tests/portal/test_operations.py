"""What an operator relies on: settings, health and readiness, error pages, logs without secrets."""

import asyncio
import logging

import pytest

from auth.tables import Role
from portal import db
from portal.logs import AccessLines
from portal.settings import Settings, SettingsError
from portal.web.app import create_app
from tests.conftest import browser, make_settings
from tests.helpers import create_user, sign_in


def test_production_refuses_to_start_without_secret_and_base_url(tmp_path):
    base = {"PORTAL_ENV": "production", "PORTAL_DATA_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY and PORTAL_BASE_URL"):
        Settings.from_env(base)
    with pytest.raises(SettingsError, match="PORTAL_BASE_URL"):
        Settings.from_env({**base, "PORTAL_SECRET_KEY": "s" * 40})
    settings = Settings.from_env({**base, "PORTAL_SECRET_KEY": "s" * 40, "PORTAL_BASE_URL": "https://help.example"})
    assert settings.production and not settings.debug and settings.secure_cookies and settings.log_json
    assert not settings.demo_accounts
    assert not (tmp_path / "secret_key").exists()


def test_development_generates_its_secret_once(tmp_path):
    first = Settings.from_env({"PORTAL_DATA_DIR": str(tmp_path)})
    second = Settings.from_env({"PORTAL_DATA_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 40 and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first.database_url == f"sqlite:///{tmp_path / 'portal.sqlite3'}"


def test_bad_settings_are_explained(tmp_path):
    with pytest.raises(SettingsError, match="PORTAL_DATABASE_URL"):
        Settings.from_env({"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_DATABASE_URL": "mysql://x/y"})
    with pytest.raises(SettingsError, match="PORTAL_ENV"):
        Settings.from_env({"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_ENV": "staging"})


async def test_health_and_ready(client):
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_ready_is_503_when_migrations_are_pending(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    db.bind(db.engine_for(url))
    async with browser(create_app(make_settings(tmp_path, url))) as fresh:
        assert (await fresh.get("/health")).status_code == 200
        ready = await fresh.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable" and ready.json()["pending_migrations"]


async def test_ready_is_503_when_the_database_is_unreachable(tmp_path):
    url = "postgresql://nobody@127.0.0.1:1/nothing"
    async with browser(create_app(make_settings(tmp_path, url))) as broken:
        ready = await broken.get("/ready")
    assert ready.status_code == 503 and "unreachable" in ready.json()["database"]


async def test_friendly_errors_for_pages_and_json_for_the_api(client):
    page = await client.get("/no/such/page")
    assert page.status_code == 404 and "Page not found" in page.text and "<html" in page.text
    api = await client.get("/api/no/such/thing")
    assert api.status_code == 404 and api.json() == {"status": 404, "detail": "not found"}
    ru = await client.get("/no/such/page", headers={"accept-language": "ru"})
    assert "Страница не найдена" in ru.text


async def test_an_unexpected_failure_is_a_friendly_500_without_a_traceback(client, settings, monkeypatch):
    from auth import organizations

    async def explode():
        raise RuntimeError("secret internal detail")

    await create_user(settings, "root@example.com", Role.ADMIN)
    await sign_in(client, "root@example.com")
    monkeypatch.setattr(organizations, "list_all", explode)
    response = await client.get("/admin/organizations")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internal detail" not in response.text and "Traceback" not in response.text


async def test_access_log_has_the_route_but_never_the_link_secret(settings, capsys):
    async with browser(create_app(settings)) as client:
        await client.get("/password/reset?token=very-secret-token-value")
        await asyncio.sleep(AccessLines.FLUSH_AFTER_S + 0.2)  # written in batches, within half a second
        logged = capsys.readouterr().err
        assert "INFO portal.access: GET /password/reset 400" in logged
        await client.get("/kb?token=another-secret")
    logged += capsys.readouterr().err  # the rest is written when the app stops
    access = [line for line in logged.splitlines() if "portal.access" in line]  # not the test client's own log
    assert any("GET /kb 200" in line for line in access) and len(access) == 2
    assert not any("very-secret-token-value" in line or "another-secret" in line for line in access)


def test_production_logs_are_json_lines(tmp_path, capsys):
    import json

    from portal import logs

    settings = Settings.from_env(
        {
            "PORTAL_ENV": "production",
            "PORTAL_DATA_DIR": str(tmp_path),
            "PORTAL_SECRET_KEY": "s" * 40,
            "PORTAL_BASE_URL": "https://help.example",
        }
    )
    logs.configure(settings)
    try:
        logging.getLogger("portal.jobs").warning("mail server unreachable")
        warning = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert warning["level"] == "WARNING" and warning["message"] == "mail server unreachable"
        access = logs.AccessLines(settings)
        access.write("GET /x 200 1.5ms", {"method": "GET", "route": "/x", "status": 200, "ms": 1.5, "user": None})
        access.flush()
        record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert record["route"] == "/x" and record["status"] == 200 and record["level"] == "INFO"
        assert record["logger"] == "portal.access" and set(record) >= set(warning)
    finally:
        logging.getLogger().handlers.clear()
