"""`portal serve` on a port chosen up front, so the provider can be told the portal's callback before either starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def serve_portal(data_dir: Path, database_url: str, port: int, extra_env: dict[str, str]) -> Iterator[str]:
    """The portal at http://127.0.0.1:<port>, as an operator starts it; yields its base URL."""
    url = f"http://127.0.0.1:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    # The developer's own PORTAL_* settings must not leak into the served test portal.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env |= {
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_BASE_URL": url,
        "PORTAL_DEMO_ACCOUNTS": "false",
        **extra_env,
    }
    log_path = data_dir.parent / f"serve-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"portal serve did not come up:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
