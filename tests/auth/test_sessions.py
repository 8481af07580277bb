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
