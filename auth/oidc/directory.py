"""What each provider publishes (discovery document, signing keys), fetched over HTTP and cached per process."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from auth.oidc.config import Provider
from auth.oidc.errors import ProviderUnavailable
from auth.oidc.idtoken import allowed_algorithms

log = logging.getLogger("auth.oidc")

TIMEOUT = httpx.Timeout(5.0)
METADATA_TTL_S = 3600
# A provider that just failed is not asked again for a while: the sign-in page must not wait on it.
FAILURE_TTL_S = 30
# An unknown key id makes us refetch the keys (the provider rotated them), but not more often than
# this: tokens with made-up key ids must not turn us into a request amplifier.
JWKS_REFETCH_S = 60


@dataclass(frozen=True, slots=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    algorithms: tuple[str, ...]  # ID token signing algorithms we accept from this provider
    token_auth_methods: tuple[str, ...]

    @classmethod
    def parse(cls, document: Any, provider: Provider) -> Metadata:
        if not isinstance(document, dict):
            raise ProviderUnavailable(reason="the discovery document is not a JSON object")
        # OpenID Connect Discovery 4.3: the document must be about exactly the issuer we asked.
        if document.get("issuer") != provider.issuer:
            raise ProviderUnavailable(reason=f"discovery names issuer {document.get('issuer')!r}")
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(k)]
        if missing:
            raise ProviderUnavailable(reason="discovery lacks " + ", ".join(missing))
        algorithms = allowed_algorithms(document.get("id_token_signing_alg_values_supported") or ["RS256"])
        if not algorithms:
            raise ProviderUnavailable(reason="the provider signs ID tokens with no algorithm we accept")
        return cls(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            userinfo_endpoint=document.get("userinfo_endpoint") or None,
            algorithms=algorithms,
            token_auth_methods=tuple(document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]),
        )


@dataclass
class _Entry:
    metadata: Metadata | None = None
    fetched_at: float = 0.0
    failed_at: float | None = None
    keys: KeySet | None = None
    keys_fetched_at: float = 0.0


@dataclass
class Directory:
    """Discovery documents and key sets by issuer; one per process, shared by every request."""

    transport: httpx.AsyncBaseTransport | None = None
    _entries: dict[str, _Entry] = field(default_factory=dict)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=TIMEOUT, transport=self.transport, follow_redirects=False)

    def known_down(self, provider: Provider, now: float | None = None) -> bool:
        """Whether the last look at this provider failed recently (no network: for the sign-in page)."""
        entry = self._entries.get(provider.issuer)
        now = time.monotonic() if now is None else now
        return bool(entry and entry.failed_at is not None and now - entry.failed_at < FAILURE_TTL_S)

    def needs_look(self, provider: Provider, now: float | None = None) -> bool:
        entry = self._entries.get(provider.issuer)
        now = time.monotonic() if now is None else now
        if entry is None or entry.metadata is None:
            return not self.known_down(provider, now)
        return now - entry.fetched_at > METADATA_TTL_S

    async def metadata(self, provider: Provider) -> Metadata:
        """The provider's discovery document, from the cache or the provider; ProviderUnavailable if neither."""
        entry = self._entries.setdefault(provider.issuer, _Entry())
        now = time.monotonic()
        if entry.metadata is not None and now - entry.fetched_at < METADATA_TTL_S:
            return entry.metadata
        if self.known_down(provider, now):
            raise ProviderUnavailable(reason="failed moments ago")
        try:
            async with self.client() as client:
                document = await _get_json(client, provider.discovery_url)
            metadata = Metadata.parse(document, provider)
        except ProviderUnavailable as exc:
            entry.failed_at = time.monotonic()
            log.warning("OpenID provider %s unavailable: %s", provider.name, exc.reason)
            raise
        entry.metadata, entry.fetched_at, entry.failed_at = metadata, time.monotonic(), None
        return metadata

    async def keys(self, metadata: Metadata, kid: str | None) -> KeySet:
        """The provider's signing keys; fetched again when a token names a key id we have not seen."""
        entry = self._entries.setdefault(metadata.issuer, _Entry())
        now = time.monotonic()
        known = entry.keys is not None and (kid is None or any(key.kid == kid for key in entry.keys))
        if entry.keys is not None and (known or now - entry.keys_fetched_at < JWKS_REFETCH_S):
            return entry.keys
        async with self.client() as client:
            document = await _get_json(client, metadata.jwks_uri)
        try:
            entry.keys = KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise ProviderUnavailable(reason=f"the key set does not parse: {exc}") from exc
        entry.keys_fetched_at = time.monotonic()
        return entry.keys

    def forget(self) -> None:
        self._entries.clear()


async def _get_json(client: httpx.AsyncClient, url: str) -> Any:
    try:
        response = await client.get(url, headers={"accept": "application/json"})
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(reason=f"GET {url}: {type(exc).__name__}: {exc}") from exc


DIRECTORY = Directory()
