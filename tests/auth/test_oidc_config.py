"""Providers come from PORTAL_OIDC_* variables only; a half-configured provider stops the portal from starting."""

from __future__ import annotations

import pytest

from auth.oidc.config import DEFAULT_SCOPES, ProviderConfigError, providers_from_env
from portal.settings import Settings, SettingsError

ACME = {
    "PORTAL_OIDC_PROVIDERS": "acme, corp",
    "PORTAL_OIDC_ACME_ISSUER": "https://sso.acme.example",
    "PORTAL_OIDC_ACME_CLIENT_ID": "portal",
    "PORTAL_OIDC_ACME_CLIENT_SECRET": "s3cret",
    "PORTAL_OIDC_ACME_LABEL": "Acme SSO",
    "PORTAL_OIDC_CORP_ISSUER": "https://login.corp.example/tenant/v2.0",
    "PORTAL_OIDC_CORP_CLIENT_ID": "abc",
    "PORTAL_OIDC_CORP_CLIENT_SECRET": "def",
    "PORTAL_OIDC_CORP_SCOPES": "email profile",
}


def test_each_named_provider_is_read_from_its_variables():
    acme, corp = providers_from_env(ACME)
    assert (acme.name, acme.issuer, acme.client_id, acme.label) == (
        "acme",
        "https://sso.acme.example",
        "portal",
        "Acme SSO",
    )
    assert acme.scopes == DEFAULT_SCOPES
    assert corp.label == "Corp" and corp.scopes == ("openid", "email", "profile")
    assert corp.discovery_url == "https://login.corp.example/tenant/v2.0/.well-known/openid-configuration"
    assert "s3cret" not in repr(acme)  # settings get logged; the secret must not be


def test_no_providers_by_default():
    assert providers_from_env({}) == ()
    assert Settings.from_env({"PORTAL_DATA_DIR": "/tmp/portal-oidc-config"}).oidc_providers == ()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"PORTAL_OIDC_CORP_CLIENT_SECRET": ""}, "PORTAL_OIDC_CORP_CLIENT_SECRET"),
        ({"PORTAL_OIDC_ACME_ISSUER": ""}, "PORTAL_OIDC_ACME_ISSUER"),
        ({"PORTAL_OIDC_ACME_ISSUER": "ftp://sso.acme.example"}, "http(s) URL"),
        ({"PORTAL_OIDC_ACME_ISSUER": "https://sso.acme.example/?tenant=1"}, "without query"),
        ({"PORTAL_OIDC_PROVIDERS": "acme,acme"}, "twice"),
        ({"PORTAL_OIDC_PROVIDERS": "acme,../x"}, "not a valid name"),
    ],
)
def test_a_half_configured_provider_is_an_error(changes, message):
    with pytest.raises(ProviderConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        providers_from_env({**ACME, **changes})


def test_settings_refuse_bad_provider_variables_and_plain_http_in_production(tmp_path):
    base = {"PORTAL_DATA_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match="PORTAL_OIDC_CORP_CLIENT_ID"):
        Settings.from_env({**base, **ACME, "PORTAL_OIDC_CORP_CLIENT_ID": ""})
    production = {
        **base,
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": "x" * 40,
        "PORTAL_BASE_URL": "https://support.example",
    }
    assert len(Settings.from_env({**production, **ACME}).oidc_providers) == 2
    with pytest.raises(SettingsError, match="https in production"):
        Settings.from_env({**production, **ACME, "PORTAL_OIDC_ACME_ISSUER": "http://sso.acme.example"})
