"""The npm oidc-provider in a subprocess on 127.0.0.1, and a person signing in at it (its devInteractions forms)."""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

HERE = Path(__file__).parent
CLIENT_ID = "portal"
CLIENT_SECRET = "portal-test-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def require_node_modules() -> str:
    """The node binary; in CI a missing provider is a failure, elsewhere a skip that says what to run."""
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "Node.js is not installed"
    elif not (HERE / "node_modules" / "oidc-provider").is_dir():
        problem = "tests/oidc/node_modules is missing: run `npm ci --prefix tests/oidc`"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{problem} (CI installs it in .ci/run)")
        pytest.skip(problem)
    return node


@dataclass(frozen=True)
class RunningProvider:
    issuer: str

    def env(self, name: str = "acme", label: str = "Acme SSO") -> dict[str, str]:
        """The PORTAL_* variables an operator sets for this provider."""
        prefix = f"PORTAL_OIDC_{name.upper()}_"
        return {
            "PORTAL_OIDC_PROVIDERS": name,
            prefix + "ISSUER": self.issuer,
            prefix + "CLIENT_ID": CLIENT_ID,
            prefix + "CLIENT_SECRET": CLIENT_SECRET,
            prefix + "LABEL": label,
        }

    def set_account(self, login: str, **claims: str) -> None:
        """What the provider says about `login` from now on (a person changing their email there)."""
        httpx.post(f"{self.issuer}/_test/accounts/{login}", params=claims, timeout=5).raise_for_status()


@contextmanager
def provider(redirect_uris: list[str]) -> Iterator[RunningProvider]:
    node = require_node_modules()
    port = free_port()
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URIS": " ".join(redirect_uris),
    }
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [node, str(HERE / "provider.mjs")], cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError("oidc-provider did not start:\n" + log.read())
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield RunningProvider(issuer=issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.IGNORECASE)
_PROMPT = re.compile(r'name="prompt" value="(\w+)"')


async def sign_in_at_provider(
    browser: httpx.AsyncClient, authorize_url: str, portal_base: str, login: str = "ann"
) -> str:
    """Walk the provider's pages as a person would (login, then consent) until it sends the browser back.

    Returns the portal URL it redirects to: the callback with its code and state, or an error.
    """
    url = authorize_url
    for _step in range(12):
        if url.startswith(portal_base):
            return url
        response = await browser.get(url)
        if response.is_redirect:
            url = urljoin(url, response.headers["location"])
            continue
        response.raise_for_status()
        form, prompt = _FORM.search(response.text), _PROMPT.search(response.text)
        assert form and prompt, f"no sign-in form at {url}: {response.text[:500]}"
        fields = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            fields |= {"login": login, "password": "any password"}
        posted = await browser.post(urljoin(url, html.unescape(form.group(1))), data=fields)
        assert posted.is_redirect, posted.text[:500]
        url = urljoin(url, posted.headers["location"])
    raise AssertionError(f"the provider never sent the browser back (last at {url})")


async def cancel_at_provider(browser: httpx.AsyncClient, authorize_url: str, portal_base: str) -> str:
    """Open the provider's sign-in page and abort it, as a person pressing Cancel; returns where it sends us."""
    response = await browser.get(authorize_url)
    assert response.is_redirect
    interaction = urljoin(authorize_url, response.headers["location"])
    url = interaction.rstrip("/") + "/abort"
    for _step in range(6):
        if url.startswith(portal_base):
            return url
        response = await browser.get(url)
        assert response.is_redirect, response.text[:500]
        url = urljoin(url, response.headers["location"])
    raise AssertionError("the provider never sent the browser back after the abort")


async def start_at_portal(portal: httpx.AsyncClient, name: str = "acme", next_path: str = "/") -> str:
    """Press the portal's "Sign in with …" button; returns the provider URL the portal sends the browser to."""
    response = await portal.get(f"/auth/oidc/{name}/start", params={"next": next_path})
    assert response.status_code == 302, response.text[:500]
    return response.headers["location"]


async def sign_in_through(
    portal: httpx.AsyncClient, at_provider: httpx.AsyncClient, login: str = "ann", next_path: str = "/"
) -> httpx.Response:
    """The whole round trip: portal → provider's forms → the portal's callback; returns the callback's answer."""
    authorize = await start_at_portal(portal, next_path=next_path)
    back = await sign_in_at_provider(at_provider, authorize, str(portal.base_url), login)
    return await portal.get(back)
