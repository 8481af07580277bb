"""Sessions end after idle time and after their absolute lifetime, and only known ids resolve."""

from datetime import UTC, datetime, timedelta

from auth import sessions
from auth.tables import AuthSession, User
from tests.helpers import create_user

LIFETIME = sessions.Lifetime(idle=timedelta(hours=1), absolute=timedelta(days=1))


async def test_a_session_resolves_to_its_user_and_slides(settings):
    user = await create_user(settings, "ann@example.com")
    secret = await sessions.start(user)
    now = datetime.now(UTC)
    _session, found = await sessions.resolve(secret, LIFETIME, now=now + timedelta(minutes=50))
    assert found.id == user.id
    # Used 50 minutes in: the idle clock restarted, so 50 more minutes are fine too.
    assert await sessions.resolve(secret, LIFETIME, now=now + timedelta(minutes=100)) is not None


async def test_idle_sessions_end(settings):
    user = await create_user(settings, "ann@example.com")
    secret = await sessions.start(user)
    assert await sessions.resolve(secret, LIFETIME, now=datetime.now(UTC) + timedelta(minutes=61)) is None
    assert await AuthSession.count() == 0


async def test_sessions_end_at_their_absolute_lifetime_however_active(settings):
    user = await create_user(settings, "ann@example.com")
    secret = await sessions.start(user)
    start = datetime.now(UTC)
    for hours in range(1, 24):
        assert await sessions.resolve(secret, LIFETIME, now=start + timedelta(hours=hours, minutes=-5)) is not None
    assert await sessions.resolve(secret, LIFETIME, now=start + timedelta(days=1, minutes=1)) is None


async def test_unknown_and_absurd_ids_resolve_to_nobody(settings):
    await create_user(settings, "ann@example.com")
    for raw in ["", "x", "A" * 5000, "' OR 1=1 --"]:
        assert await sessions.resolve(raw, LIFETIME) is None


async def test_the_database_keeps_only_a_hash_of_the_secret(settings):
    user = await create_user(settings, "ann@example.com")
    secret = await sessions.start(user)
    stored = await AuthSession.select(AuthSession.token_hash).first()
    assert secret not in stored["token_hash"] and len(stored["token_hash"]) == 64


async def test_deactivating_a_user_ends_their_sessions_at_once(settings):
    user = await create_user(settings, "ann@example.com")
    secret = await sessions.start(user)
    await User.update({User.is_active: False}).where(User.id == user.id)
    assert await sessions.resolve(secret, LIFETIME) is None


async def test_expired_sessions_are_purged(settings):
    user = await create_user(settings, "ann@example.com")
    await sessions.start(user)
    await sessions.start(user)
    assert await sessions.purge_expired(LIFETIME, now=datetime.now(UTC) + timedelta(hours=2)) == 2


async def test_a_session_read_is_kept_a_second_and_ending_it_here_is_immediate(settings):
    user = await create_user(settings, "ann@example.com")
    secret = await sessions.start(user)
    assert (await sessions.resolve(secret, LIFETIME))[1].id == user.id
    # Removed behind this process's back (as another process would): this process's copy lasts a second.
    await AuthSession.delete(force=True)
    assert (await sessions.resolve(secret, LIFETIME))[1].id == user.id
    await sessions.end(secret)  # ended here: at once
    assert await sessions.resolve(secret, LIFETIME) is None


async def test_interleaved_users_never_get_each_others_session(settings):
    ann = await create_user(settings, "ann@example.com")
    bob = await create_user(settings, "bob@example.com", name="Bob")
    secrets_ = {ann.id: await sessions.start(ann), bob.id: await sessions.start(bob)}
    for _ in range(3):
        for user_id, secret in secrets_.items():
            assert (await sessions.resolve(secret, LIFETIME))[1].id == user_id


async def test_a_changed_user_is_read_afresh_at_once(settings):
    from auth import users
    from auth.tables import Role

    user = await create_user(settings, "ann@example.com")
    secret = await sessions.start(user)
    await sessions.resolve(secret, LIFETIME)
    await users.update_profile(user, users.Profile("Ann", "ru", "Europe/Moscow"))
    assert (await sessions.resolve(secret, LIFETIME))[1].locale == "ru"
    await users.set_role_and_status(user, Role.AGENT, None, True)
    assert (await sessions.resolve(secret, LIFETIME))[1].role == Role.AGENT
    await users.set_role_and_status(user, Role.AGENT, None, False)
    assert await sessions.resolve(secret, LIFETIME) is None
