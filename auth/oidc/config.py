"""Which OpenID Connect providers the portal offers, read from PORTAL_OIDC_* variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
DEFAULT_SCOPES = ("openid", "email", "profile")


class ProviderConfigError(ValueError):
    """The PORTAL_OIDC_* variables do not describe usable providers; the message says which."""


@dataclass(frozen=True, slots=True)
class Provider:
    name: str  # in URLs and variable names: /auth/oidc/<name>/callback, PORTAL_OIDC_<NAME>_ISSUER
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    label: str = ""
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def providers_from_env(env: Mapping[str, str], *, require_https: bool = False) -> tuple[Provider, ...]:
    """The providers PORTAL_OIDC_PROVIDERS names, each from its PORTAL_OIDC_<NAME>_* variables."""
    names = [part.strip().lower() for part in env.get("PORTAL_OIDC_PROVIDERS", "").split(",") if part.strip()]
    providers = []
    for name in names:
        if not _NAME.match(name):
            raise ProviderConfigError(f"PORTAL_OIDC_PROVIDERS: {name!r} is not a valid name (letters, digits, _)")
        if name in (p.name for p in providers):
            raise ProviderConfigError(f"PORTAL_OIDC_PROVIDERS names {name!r} twice")
        providers.append(_provider(env, name, require_https))
    return tuple(providers)


def _provider(env: Mapping[str, str], name: str, require_https: bool) -> Provider:
    prefix = f"PORTAL_OIDC_{name.upper()}_"
    values = {key: env.get(prefix + key, "").strip() for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")}
    missing = [prefix + key for key, value in values.items() if not value]
    if missing:
        raise ProviderConfigError(f"provider {name!r} needs " + ", ".join(missing))
    issuer = values["ISSUER"]
    parts = urlsplit(issuer)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ProviderConfigError(f"{prefix}ISSUER must be an http(s) URL without query or fragment")
    # Tokens and secrets travel to the issuer: plain http is for a provider on this machine in development.
    if require_https and parts.scheme != "https":
        raise ProviderConfigError(f"{prefix}ISSUER must use https in production")
    scopes = tuple(env.get(prefix + "SCOPES", "").replace(",", " ").split()) or DEFAULT_SCOPES
    if "openid" not in scopes:
        scopes = ("openid", *scopes)
    return Provider(
        name=name,
        issuer=issuer,
        client_id=values["CLIENT_ID"],
        client_secret=values["CLIENT_SECRET"],
        label=env.get(prefix + "LABEL", "").strip() or name.replace("_", " ").title(),
        scopes=scopes,
    )
