"""ID token verification refuses forged, misdirected, stale and replayed tokens (minted here with joserfc)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from auth.oidc.errors import InvalidIdToken
from auth.oidc.idtoken import allowed_algorithms, verify_id_token

ISSUER = "https://idp.example.com"
CLIENT = "portal"
NONCE = "n-0S6_WzA2Mj"
ACCESS_TOKEN = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"


@pytest.fixture(scope="module")
def signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})


@pytest.fixture(scope="module")
def published(signing_key) -> KeySet:
    """What the provider's jwks_uri serves: the public half only."""
    return KeySet.import_key_set(KeySet([signing_key]).as_dict(private=False))


def claims(**changes) -> dict:
    now = int(time.time())
    base = {"iss": ISSUER, "sub": "248289761001", "aud": CLIENT, "exp": now + 300, "iat": now, "nonce": NONCE}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def mint(key, payload: dict, alg: str = "RS256", kid: str = "k1") -> str:
    return jwt.encode({"alg": alg, "kid": kid}, payload, key)


def verify(token: str, keys: KeySet, **options):
    return verify_id_token(
        token,
        keys,
        issuer=ISSUER,
        client_id=CLIENT,
        algorithms=options.pop("algorithms", ["RS256"]),
        nonce=options.pop("nonce", NONCE),
        **options,
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_genuine_token_verifies_with_its_at_hash(signing_key, published):
    at_hash = b64(hashlib.sha256(ACCESS_TOKEN.encode()).digest()[:16])
    token = mint(signing_key, claims(at_hash=at_hash, email="ann@example.com"))
    verified = verify(token, published, access_token=ACCESS_TOKEN)
    assert verified["sub"] == "248289761001" and verified["email"] == "ann@example.com"


def test_alg_none_is_refused(published):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc warns about minting "none": that is the point here
        token = jwt.encode({"alg": "none"}, claims(), None, algorithms=["none"])
    with pytest.raises(InvalidIdToken) as refused:
        verify(token, published)
    assert "algorithm 'none'" in refused.value.reason
    # Even if a provider's discovery lists "none" (or HS256), it is never accepted.
    with pytest.raises(InvalidIdToken):
        verify(token, published, algorithms=["none", "HS256", "RS256"])


def test_hs256_signed_with_the_public_key_is_refused(signing_key, published):
    # The classic confusion attack: HMAC keyed with the provider's public PEM, which anyone can fetch.
    secret = signing_key.as_pem(private=False)
    signing_input = b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode()) + "." + b64(json.dumps(claims()).encode())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + b64(signature)
    for announced in (["RS256"], ["RS256", "HS256"]):
        with pytest.raises(InvalidIdToken) as refused:
            verify(token, published, algorithms=announced)
        assert "algorithm 'HS256'" in refused.value.reason


def test_a_key_that_is_not_the_providers_is_refused(published):
    other = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"})
    with pytest.raises(InvalidIdToken) as refused:
        verify(mint(other, claims()), published)
    assert "BadSignatureError" in refused.value.reason


def test_an_algorithm_discovery_does_not_announce_is_refused(published):
    ec = ECKey.generate_key("P-256", parameters={"kid": "e1", "alg": "ES256"})
    keys = KeySet.import_key_set({"keys": [*published.as_dict()["keys"], ec.as_dict(private=False)]})
    token = mint(ec, claims(), alg="ES256", kid="e1")
    with pytest.raises(InvalidIdToken):
        verify(token, keys, algorithms=["RS256"])
    assert verify(token, keys, algorithms=["RS256", "ES256"])["sub"]


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        pytest.param({"aud": "someone-else"}, "'aud'", id="wrong aud"),
        pytest.param({"aud": ["someone-else", "another"]}, "'aud'", id="wrong aud list"),
        pytest.param({"aud": [CLIENT, "another"]}, "authorized party", id="several aud without azp"),
        pytest.param({"azp": "another"}, "authorized party", id="wrong azp"),
        pytest.param({"iss": "https://evil.example.com"}, "'iss'", id="wrong iss"),
        pytest.param({"exp": int(time.time()) - 600}, "expired", id="expired"),
        pytest.param({"iat": int(time.time()) + 3600}, "in the future", id="future iat"),
        pytest.param({"nonce": None}, "'nonce'", id="missing nonce"),
        pytest.param({"nonce": "another-attempt"}, "'nonce'", id="wrong nonce"),
        pytest.param({"sub": None}, "'sub'", id="missing sub"),
        pytest.param({"exp": None}, "'exp'", id="missing exp"),
        pytest.param({"iat": None}, "'iat'", id="missing iat"),
    ],
)
def test_tokens_with_wrong_claims_are_refused(signing_key, published, changes, why):
    with pytest.raises(InvalidIdToken) as refused:
        verify(mint(signing_key, claims(**changes)), published)
    assert why in refused.value.reason


def test_small_clock_skew_is_tolerated(signing_key, published):
    now = int(time.time())
    token = mint(signing_key, claims(iat=now + 20, exp=now - 20))
    assert verify(token, published)["sub"]


def test_an_at_hash_for_another_access_token_is_refused(signing_key, published):
    token = mint(signing_key, claims(at_hash=b64(hashlib.sha256(b"another token").digest()[:16])))
    with pytest.raises(InvalidIdToken):
        verify(token, published, access_token=ACCESS_TOKEN)


def test_garbage_is_refused(published):
    for token in ("", "not.a.token", "a.b", "eyJhbGciOiJSUzI1NiJ9.e30.AAAA"):
        with pytest.raises(InvalidIdToken):
            verify(token, published)


def test_only_asymmetric_algorithms_are_ever_allowed():
    assert allowed_algorithms(["none", "HS256", "HS512", "RS256", "ES256"]) == ("ES256", "RS256")
