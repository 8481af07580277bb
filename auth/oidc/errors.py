"""What can go wrong when signing in through a provider; `code` names the message a person sees."""

from __future__ import annotations

from auth.errors import AccountError


class OidcError(AccountError):
    """A sign-in through a provider that ends without a session.

    `reason` is for the log only: people see the message for `code`, never what exactly failed
    inside a token.
    """

    code = "oidc_failed"

    def __init__(self, code: str | None = None, reason: str = "") -> None:
        super().__init__(code)
        self.reason = reason or self.code


class ProviderUnavailable(OidcError):
    """The provider could not be reached, or answered with something that is not OpenID Connect."""

    code = "oidc_unavailable"


class InvalidIdToken(OidcError):
    """The ID token failed a check: signature, algorithm, issuer, audience, times, nonce or at_hash."""

    code = "oidc_failed"
