"""Security events reach the `portal.security` log as structured lines (event, outcome, user, client
address, route, time), and no line anywhere carries a password, session id, API token or link secret."""

from __future__ import annotations

import logging
import re

from auth import ratelimit
from auth.tables import Role
from portal import logs
from portal.web.app import create_app
from tests.conftest import browser, make_settings
from tests.helpers import TEST_PASSWORD, create_user, last_mail, link_in, post_form, sign_in

NEW = {"type": "question", "subject": "Invoice is missing", "description": "I cannot find invoice 42."}


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.text: list[str] = []
        self.json = logs.JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("httpx"):  # the test's own client, not the portal
            return
        self.records.append(record)
        self.text.append(self.json.format(record))

    def events(self, event: str) -> list[dict]:
        return [r.fields for r in self.records if r.name == "portal.security" and r.fields["event"] == event]


async def test_security_events_are_logged_without_secrets(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url, PORTAL_TRUSTED_PROXIES="testclient")
    app = create_app(settings)
    lines = Lines()
    logging.getLogger().addHandler(lines)  # after create_app, which sets the handlers up
    proxy = {"X-Forwarded-For": "203.0.113.9"}
    try:
        ann = await create_user(settings, "ann@example.com")
        bob = await create_user(settings, "bob@example.com")
        admin = await create_user(settings, "admin@example.com", role=Role.ADMIN)
        async with browser(app) as client, browser(app) as other, browser(app) as boss:
            client.headers.update(proxy)
            wrong = await post_form(client, "/login", {"email": "ann@example.com", "password": "not-the-password"})
            assert wrong.status_code == 400
            signed = await sign_in(client, "ann@example.com")
            assert signed.status_code == 302
            session_id = client.cookies["portal_session"]

            made = await post_form(client, "/profile/tokens", {"token_name": "robot"})
            token = re.search(r'value="(pt_[^"]+)"', made.text).group(1)
            filed = await client.post("/api/tickets", json=NEW, headers={"Authorization": f"Bearer {token}"})
            number = filed.json()["number"]
            token_id = int(re.search(r"/profile/tokens/(\d+)/revoke", (await client.get("/profile")).text).group(1))
            assert (await post_form(client, f"/profile/tokens/{token_id}/revoke", {})).status_code == 302

            forged = await client.post("/profile", data={"name": "Mallory"})  # no CSRF token
            assert forged.status_code == 403

            await sign_in(other, "bob@example.com")
            assert (await other.get(f"/tickets/{number}")).status_code == 404
            assert (await other.get("/tickets/999999")).status_code == 404  # absent: nothing to report

            await post_form(other, "/password/forgot", {"email": "bob@example.com"})
            reset_link = link_in(await last_mail("bob@example.com"), "/password/reset")
            assert (await other.get(reset_link)).status_code == 200

            await sign_in(boss, "admin@example.com")
            promoted = await post_form(boss, f"/admin/users/{bob.id}", {"role": "agent", "active": "on"})
            assert promoted.status_code == 302

            for _ in range(ratelimit.SIGN_IN_PER_ACCOUNT.limit + 1):
                locked = await post_form(other, "/login", {"email": "ann@example.com", "password": "guess"})
            assert locked.status_code == 429
    finally:
        logging.getLogger().removeHandler(lines)

    failure, success = lines.events("sign_in")[0], lines.events("sign_in")[1]
    assert failure["outcome"] == "failure" and failure["user_id"] is None and failure["route"] == "/login"
    assert failure["client"] == "203.0.113.9"  # the forwarded address, behind a trusted proxy
    assert success["outcome"] == "success" and success["user_id"] == ann.id and success["at"]
    assert any(e["outcome"] == "locked_out" for e in lines.events("sign_in"))
    assert [e["user_id"] for e in lines.events("api_token_created")] == [ann.id]
    assert [e["user_id"] for e in lines.events("api_token_revoked")] == [ann.id]
    csrf = lines.events("csrf")
    assert len(csrf) == 1 and csrf[0]["outcome"] == "refused" and csrf[0]["route"] == "/profile"
    refused = lines.events("ticket_access")
    assert len(refused) == 1 and refused[0]["user_id"] == bob.id and refused[0]["ticket"] == number
    assert [(e["outcome"], e["user_id"]) for e in lines.events("password_reset_request")] == [("mailed", bob.id)]
    changed = lines.events("account_changed")
    assert len(changed) == 1 and changed[0]["user_id"] == admin.id and changed[0]["target_user"] == bob.id
    assert changed[0]["role"] == "customer->agent"

    # The CSRF refusal is a security event, not a server error with a traceback.
    assert not [r for r in lines.records if r.levelno >= logging.ERROR]
    everything = "\n".join(lines.text)
    reset_secret = reset_link.split("token=", 1)[1]
    for secret in (TEST_PASSWORD, "not-the-password", session_id, token, token[3:], reset_secret):
        assert secret not in everything
