"""Discovery and signing keys are cached per process; keys are refetched on an unknown kid, at most once a minute.

The provider's HTTP answers are scripted here (httpx.MockTransport) because key rotation and a lying
discovery document cannot be provoked in the real provider the other tests run.
"""

from __future__ import annotations

import httpx
import pytest
from joserfc.jwk import KeySet, RSAKey

from auth.oidc import directory as directory_module
from auth.oidc.config import Provider
from auth.oidc.directory import Directory
from auth.oidc.errors import ProviderUnavailable

ISSUER = "https://idp.example.com"
PROVIDER = Provider("acme", ISSUER, "portal", "secret", "Acme")


def discovery(**changes) -> dict:
    return {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
        "userinfo_endpoint": f"{ISSUER}/userinfo",
        "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
        **changes,
    }


class ScriptedProvider:
    def __init__(self, document: dict | None = None) -> None:
        self.document = document or discovery()
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"})]
        self.requests: list[str] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.document)
        if request.url.path == "/jwks":
            return httpx.Response(200, json=KeySet(self.keys).as_dict(private=False))
        return httpx.Response(404)

    def directory(self) -> Directory:
        return Directory(transport=httpx.MockTransport(self))


async def test_discovery_is_fetched_once_and_keeps_only_asymmetric_algorithms():
    idp = ScriptedProvider()
    directory = idp.directory()
    first = await directory.metadata(PROVIDER)
    second = await directory.metadata(PROVIDER)
    assert first is second and idp.requests == ["/.well-known/openid-configuration"]
    assert first.algorithms == ("RS256",)


@pytest.mark.parametrize(
    "document",
    [
        discovery(issuer="https://evil.example.com"),
        discovery(jwks_uri=None),
        discovery(id_token_signing_alg_values_supported=["HS256", "none"]),
        ["not", "an", "object"],
    ],
)
async def test_a_discovery_document_we_cannot_trust_makes_the_provider_unavailable(document):
    with pytest.raises(ProviderUnavailable):
        await ScriptedProvider(document).directory().metadata(PROVIDER)


async def test_a_provider_that_is_down_is_remembered_briefly(monkeypatch):
    idp = ScriptedProvider()
    idp.down = True
    directory = idp.directory()
    with pytest.raises(ProviderUnavailable):
        await directory.metadata(PROVIDER)
    assert directory.known_down(PROVIDER) and not directory.needs_look(PROVIDER)
    with pytest.raises(ProviderUnavailable):
        await directory.metadata(PROVIDER)
    assert len(idp.requests) == 1  # the second visitor did not wait on it again

    idp.down = False
    monkeypatch.setattr(directory_module, "FAILURE_TTL_S", 0)
    assert (await directory.metadata(PROVIDER)).issuer == ISSUER
    assert not directory.known_down(PROVIDER)


async def test_keys_are_refetched_for_an_unknown_kid_at_most_once_a_minute(monkeypatch):
    idp = ScriptedProvider()
    directory = idp.directory()
    metadata = await directory.metadata(PROVIDER)
    assert [k.kid for k in await directory.keys(metadata, "k1")] == ["k1"]
    await directory.keys(metadata, "k1")
    assert idp.requests.count("/jwks") == 1

    # The provider rotates its key; within the minute a made-up kid does not make us ask again.
    idp.keys = [RSAKey.generate_key(2048, parameters={"kid": "k2", "alg": "RS256"})]
    assert [k.kid for k in await directory.keys(metadata, "k2")] == ["k1"]
    assert idp.requests.count("/jwks") == 1

    monkeypatch.setattr(directory_module, "JWKS_REFETCH_S", 0)
    assert [k.kid for k in await directory.keys(metadata, "k2")] == ["k2"]
    assert idp.requests.count("/jwks") == 2
