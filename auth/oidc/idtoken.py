"""ID token verification with joserfc: signature against the provider's keys, then every claim we rely on."""

from __future__ import annotations

import hmac
import time
from collections.abc import Collection
from typing import Any

from authlib.oidc.core.util import create_half_hash
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from auth.oidc.errors import InvalidIdToken

# Signatures made with a private key only. "none" and the HMAC family are never accepted: an HS256
# token "signed" with the provider's public key would otherwise verify.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
)
LEEWAY_S = 60  # clock skew between the provider and us


def allowed_algorithms(announced: Collection[str]) -> tuple[str, ...]:
    """What discovery announces, minus anything not signed with a private key."""
    return tuple(sorted(alg for alg in announced if alg in ASYMMETRIC_ALGORITHMS))


def header_of(token: str) -> dict[str, Any]:
    """The unverified JOSE header, to choose the key; nothing in it is trusted beyond that."""
    try:
        return dict(jws.extract_compact(token.encode("ascii")).headers())
    except (JoseError, ValueError, UnicodeError) as exc:
        raise InvalidIdToken(reason=f"malformed ID token: {exc}") from exc


def verify_id_token(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    algorithms: Collection[str],
    nonce: str,
    access_token: str | None = None,
    now: int | None = None,
    leeway: int = LEEWAY_S,
) -> dict[str, Any]:
    """The claims of a valid ID token for this client and this sign-in attempt; InvalidIdToken otherwise."""
    allowed = allowed_algorithms(algorithms)
    if not allowed:
        raise InvalidIdToken(reason="the provider announces no asymmetric signing algorithm")
    alg = header_of(token).get("alg")
    if alg not in allowed:
        raise InvalidIdToken(reason=f"algorithm {alg!r} is not one of {allowed}")
    try:
        claims = jwt.decode(token, keys, algorithms=list(allowed)).claims
    except (JoseError, ValueError) as exc:
        raise InvalidIdToken(reason=f"signature: {type(exc).__name__}: {exc}") from exc
    registry = jwt.JWTClaimsRegistry(
        now=int(time.time()) if now is None else now,
        leeway=leeway,
        iss={"essential": True, "value": issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise InvalidIdToken(reason=f"claims: {type(exc).__name__}: {exc}") from exc
    _check_authorized_party(claims, client_id)
    if access_token is not None and "at_hash" in claims:
        expected = create_half_hash(access_token, alg)
        if expected is None or not hmac.compare_digest(expected.decode("ascii"), str(claims["at_hash"])):
            raise InvalidIdToken(reason="at_hash does not match the access token")
    return claims


def _check_authorized_party(claims: dict[str, Any], client_id: str) -> None:
    # OpenID Connect Core 3.1.3.7: with several audiences, azp must name us; if present, it must be us.
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    azp = claims.get("azp")
    if (len(audiences) > 1 and azp is None) or (azp is not None and azp != client_id):
        raise InvalidIdToken(reason=f"authorized party {azp!r} is not this client")
