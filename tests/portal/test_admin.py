"""Admins create staff accounts and organizations and set roles; also from the command line."""

from click.testing import CliRunner

from auth.tables import AuthSession, Organization, Role, User
from portal.cli import main
from tests.helpers import create_user, last_mail, link_in, post_form, sign_in

NEW_PASSWORD = "agent passphrase 42"


async def _as_admin(client, settings):
    await create_user(settings, "root@example.com", Role.ADMIN, name="Root Admin")
    await sign_in(client, "root@example.com")


async def test_admin_creates_a_staff_account_that_sets_its_password_from_the_invitation(client, settings):
    await _as_admin(client, settings)
    response = await post_form(
        client,
        "/admin/users",
        {"email": "Bob@Example.com", "name": "Bob Agent", "role": "agent", "organization": "", "locale": "ru"},
    )
    assert response.status_code == 302
    bob = await User.objects().where(User.email == "bob@example.com").first()
    assert bob.role == "agent" and bob.password_hash is None and bob.locale == "ru"
    listing = await client.get("/admin/users?q=bob")
    assert "bob@example.com" in listing.text and "root@example.com" not in listing.text

    invitation = await last_mail("bob@example.com")
    assert "Northwind Support" in invitation.subject and invitation.subject.startswith("Ваша учётная")
    client.cookies.clear()
    link = link_in(invitation, "/password/reset")
    assert (await client.get(link)).status_code == 200
    token = link.split("token=")[1].split("&")[0]
    done = await post_form(
        client, "/password/reset", {"token": token, "invite": "1", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert (await sign_in(client, "bob@example.com", NEW_PASSWORD)).status_code == 302


async def test_admin_sees_clear_errors(client, settings):
    await _as_admin(client, settings)
    taken = await post_form(client, "/admin/users", {"email": "root@example.com", "name": "X", "role": "agent"})
    assert taken.status_code == 400 and "already exists" in taken.text
    bad_role = await post_form(client, "/admin/users", {"email": "x@example.com", "name": "X", "role": "emperor"})
    assert bad_role.status_code == 400 and "Choose a role" in bad_role.text
    assert await User.count() == 1


async def test_admin_changes_role_and_organization_and_deactivation_ends_sessions(client, settings):
    await _as_admin(client, settings)
    created = await post_form(
        client, "/admin/organizations", {"name": "Acme Ltd", "support_plan": "premium", "shares_tickets": "1"}
    )
    assert created.status_code == 302
    org = await Organization.objects().where(Organization.name == "Acme Ltd").first()
    assert org.support_plan == "premium" and org.shares_tickets
    duplicate = await post_form(client, "/admin/organizations", {"name": "ACME ltd", "support_plan": "standard"})
    assert duplicate.status_code == 400

    ann = await create_user(settings, "ann@example.com")
    from tests.conftest import browser

    async with browser(client.app) as ann_browser:
        await sign_in(ann_browser, "ann@example.com")
        assert await AuthSession.count().where(AuthSession.user == ann.id) == 1
        saved = await post_form(
            client, f"/admin/users/{ann.id}", {"role": "supervisor", "organization": str(org.id), "active": "1"}
        )
        assert saved.status_code == 302
        ann = await User.objects().where(User.id == ann.id).first()
        assert (ann.role, ann.organization, ann.is_active) == ("supervisor", org.id, True)

        await post_form(client, f"/admin/users/{ann.id}", {"role": "supervisor", "organization": str(org.id)})
        assert await AuthSession.count().where(AuthSession.user == ann.id) == 0
        assert (await ann_browser.get("/profile")).status_code == 302


async def test_admin_cannot_demote_themselves(client, settings):
    await _as_admin(client, settings)
    me = await User.objects().where(User.email == "root@example.com").first()
    response = await post_form(client, f"/admin/users/{me.id}", {"role": "customer", "active": "1"})
    assert response.status_code == 400
    assert (await User.objects().where(User.id == me.id).first()).role == "admin"


async def test_createuser_command(settings, database_url, monkeypatch):
    monkeypatch.setenv("PORTAL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    runner = CliRunner()
    result = await _invoke(
        runner,
        [
            "createuser",
            "--email",
            "Sup@Example.com",
            "--role",
            "supervisor",
            "--password",
            "supervisor pass 1",
            "--organization",
            "Globex",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Created supervisor sup@example.com" in result.output
    user = await User.objects(User.organization).where(User.email == "sup@example.com").first()
    assert user.role == "supervisor" and user.organization.name == "Globex" and user.email_verified_at

    prompted = await _invoke(runner, ["createuser", "--email", "c@example.com"], "prompted pass 1\nprompted pass 1\n")
    assert prompted.exit_code == 0, prompted.output
    assert (await User.objects().where(User.email == "c@example.com").first()).role == "customer"

    again = await _invoke(runner, ["createuser", "--email", "sup@example.com", "--password", "whatever pass 1"])
    assert again.exit_code != 0 and "email_taken" in again.output


async def _invoke(runner, args, input=None):
    import asyncio

    # The command runs its own event loop, as it does from a shell.
    return await asyncio.to_thread(runner.invoke, main, args, input=input)
