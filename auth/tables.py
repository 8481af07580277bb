"""The accounts tables: who may sign in, to what organization they belong, and their sessions."""

from enum import StrEnum

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class SupportPlan(StrEnum):
    STANDARD = "standard"
    PREMIUM = "premium"


class Organization(Table):
    name = Varchar(length=200, unique=True)
    support_plan = Varchar(length=20, choices=SupportPlan, default=SupportPlan.STANDARD)
    shares_tickets = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    # Business hours of its support plan are counted in this zone.
    time_zone = Varchar(length=64, default="UTC")
    # The agent assigned to every new ticket of the organization.
    coordinator = ForeignKey(
        LazyTableReference(table_class_name="User", module_path="auth.tables"),
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
    )


class User(Table, tablename="portal_user"):
    email = Varchar(length=254, unique=True)  # stored lower-cased: unique case-insensitively
    name = Varchar(length=200)
    role = Varchar(length=20, choices=Role, default=Role.CUSTOMER, index=True)
    organization = ForeignKey(Organization, null=True, default=None, on_delete=OnDelete.set_null)
    locale = Varchar(length=5, default="en")
    time_zone = Varchar(length=64, default="UTC")
    is_active = Boolean(default=True)
    password_hash = Text(null=True, default=None)
    email_verified_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class AuthSession(Table):
    """A signed-in browser; the cookie carries a secret whose hash is the key here."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=300, default="")


class OneTimeToken(Table):
    """Email verification, password reset and invitation links: hashed, expiring, single use."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=20)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class RateLimitHit(Table):
    """Attempts per key and fixed window, shared by every process through the database."""

    bucket = Varchar(length=300, unique=True)  # "<rule>:<subject>:<window number>"
    hits = Integer(default=0)
    expires_at = Timestamptz(index=True)


class OidcIdentity(Table):
    """A user's account at an OpenID Connect provider; (issuer, subject) names it for good, the email may change."""

    key = Varchar(length=64, unique=True)  # sha256 of issuer + "\n" + subject: Piccolo has no composite UNIQUE
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    provider = Varchar(length=32)  # the configured name it was linked through, shown when the issuer is gone
    issuer = Varchar(length=500)
    subject = Varchar(length=255)
    email = Varchar(length=254, default="")  # as the provider last said
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class OidcLogin(Table):
    """A sign-in sent to a provider and not yet back: bound to the browser, single use, short-lived."""

    state_hash = Varchar(length=64, unique=True)
    browser_hash = Varchar(length=64)  # hash of the secret in the browser's short-lived cookie
    provider = Varchar(length=32)
    nonce = Varchar(length=128)
    code_verifier = Varchar(length=128)
    next_path = Varchar(length=2000, default="/")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)


class OidcPendingLink(Table):
    """A provider identity whose email belongs to an existing account, waiting for that account's password."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    provider = Varchar(length=32)
    issuer = Varchar(length=500)
    subject = Varchar(length=255)
    email = Varchar(length=254)
    next_path = Varchar(length=2000, default="/")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)


class ApiToken(Table):
    """A personal token for integrations; only its hash is kept, the user sees it once."""

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
