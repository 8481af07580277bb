"""The authorization code flow with PKCE: where to send the browser, and what the code it brings back proves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from auth.oidc.config import Provider
from auth.oidc.directory import Directory, Metadata
from auth.oidc.errors import InvalidIdToken, OidcError, ProviderUnavailable
from auth.oidc.idtoken import header_of, verify_id_token


@dataclass(frozen=True, slots=True)
class Attempt:
    """The secrets of one sign-in attempt, kept server-side until the provider sends the browser back."""

    state: str
    nonce: str
    code_verifier: str

    @classmethod
    def new(cls) -> Attempt:
        # 48 characters from a 62-letter alphabet: ~285 bits; RFC 7636 wants a verifier of 43 to 128.
        return cls(state=generate_token(48), nonce=generate_token(48), code_verifier=generate_token(64))


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in; (issuer, subject) names them for good, the email may change."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str


def authorization_url(provider: Provider, metadata: Metadata, redirect_uri: str, attempt: Attempt) -> str:
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(provider.scopes),
        "state": attempt.state,
        "nonce": attempt.nonce,
        "code_challenge": create_s256_code_challenge(attempt.code_verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    return metadata.authorization_endpoint + separator + urlencode(params)


async def finish(
    provider: Provider,
    directory: Directory,
    *,
    code: str,
    code_verifier: str,
    nonce: str,
    redirect_uri: str,
) -> Identity:
    """Trade the code for tokens, verify the ID token, and read the email from userinfo when it lacks one."""
    metadata = await directory.metadata(provider)
    async with directory.client() as client:
        tokens = await _exchange(client, provider, metadata, code, code_verifier, redirect_uri)
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        if not isinstance(id_token, str):
            raise InvalidIdToken(reason="the token response has no id_token")
        keys = await directory.keys(metadata, header_of(id_token).get("kid"))
        claims = verify_id_token(
            id_token,
            keys,
            issuer=provider.issuer,
            client_id=provider.client_id,
            algorithms=metadata.algorithms,
            nonce=nonce,
            access_token=access_token if isinstance(access_token, str) else None,
        )
        # Many providers put the email (or whether it is verified) only in userinfo.
        incomplete = not claims.get("email") or "email_verified" not in claims
        if incomplete and metadata.userinfo_endpoint and isinstance(access_token, str):
            claims = {**claims, **await _userinfo(client, metadata.userinfo_endpoint, access_token, claims["sub"])}
    return Identity(
        issuer=provider.issuer,
        subject=str(claims["sub"]),
        email=str(claims.get("email") or ""),
        email_verified=claims.get("email_verified") is True,
        name=str(claims.get("name") or ""),
    )


async def _exchange(
    client: httpx.AsyncClient,
    provider: Provider,
    metadata: Metadata,
    code: str,
    code_verifier: str,
    redirect_uri: str,
) -> dict[str, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    auth: httpx.BasicAuth | None = None
    if "client_secret_basic" in metadata.token_auth_methods:
        auth = httpx.BasicAuth(_form_encode(provider.client_id), _form_encode(provider.client_secret))
    else:
        form |= {"client_id": provider.client_id, "client_secret": provider.client_secret}
    try:
        response = await client.post(
            metadata.token_endpoint, data=form, auth=auth, headers={"accept": "application/json"}
        )
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(reason=f"token endpoint: {type(exc).__name__}: {exc}") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict):
        # invalid_grant: the code was used already, expired, or the PKCE verifier does not match it.
        error = body.get("error") if isinstance(body, dict) else None
        raise OidcError(reason=f"token endpoint answered {response.status_code} {error or ''}".strip())
    return body


async def _userinfo(client: httpx.AsyncClient, url: str, access_token: str, subject: str) -> dict[str, Any]:
    try:
        response = await client.get(
            url, headers={"authorization": f"Bearer {access_token}", "accept": "application/json"}
        )
        response.raise_for_status()
        info = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(reason=f"userinfo: {type(exc).__name__}: {exc}") from exc
    # OpenID Connect Core 5.3.2: userinfo about another subject must not be used.
    if not isinstance(info, dict) or info.get("sub") != subject:
        raise OidcError(reason="userinfo is about another subject")
    return {key: info[key] for key in ("email", "email_verified", "name") if key in info}


def _form_encode(value: str) -> str:
    # RFC 6749 2.3.1: client_secret_basic credentials are form-encoded before Base64.
    return quote_plus(value)
