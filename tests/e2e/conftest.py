"""The portal as a user meets it: `portal serve` in a subprocess, and headless Chromium driving it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def missing(what: str) -> None:
    """In CI a missing dependency is a failure; on a developer's machine, a skip that says what to install."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is missing (CI installs it in .ci/run)")
    pytest.skip(f"{what} is missing")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ServedPortal:
    url: str
    data_dir: Path
    env: dict[str, str]


def serve(
    data_dir: Path,
    database_url: str,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
    ready_within: float = 180,
) -> tuple[subprocess.Popen, ServedPortal]:
    """`portal serve` as an operator starts it; on `port` when it must be known in advance (a
    provider told the portal's callback address before either starts)."""
    port = port or free_port()
    # The developer's own PORTAL_* settings must not leak into the served test portal.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        {
            "PORTAL_DATA_DIR": str(data_dir),
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_PORT": str(port),
            "PORTAL_HOST": "127.0.0.1",
            **(extra_env or {}),
        }
    )
    log = (data_dir.parent / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    # Generous: on a loaded 2-core machine (CI runs both databases' suites at once) start-up is slow.
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"portal serve exited: {(data_dir.parent / f'serve-{port}.log').read_text()}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return process, ServedPortal(url, data_dir, env)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    output = (data_dir.parent / f"serve-{port}.log").read_text()[-3000:]
    raise RuntimeError(f"portal serve did not become ready in {ready_within:.0f} s: {output}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def served_portal(tmp_path: Path, database_url: str) -> Iterator[ServedPortal]:
    process, portal = serve(tmp_path / "data", database_url)
    try:
        yield portal
    finally:
        stop(process)


@pytest.fixture
def chromium():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        missing("Chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, locale: str = "en-US"):
    """A fresh browser profile (its own cookies), as a second person at another computer."""
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def browser_page(chromium):
    page = new_page(chromium)
    try:
        yield page
    finally:
        page.context.close()
