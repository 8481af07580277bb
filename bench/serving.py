"""What the benchmarks that serve the portal share: a free port, and waiting until a server answers."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx

# A benchmark is one client address (and a few users) sending thousands of requests: limits high enough
# never to refuse one, still counted in the database as in production (the counting is part of the cost).
HIGH_RATE_LIMITS = {
    name: "100000000/60"
    for name in (
        "PORTAL_RATE_SEARCH",
        "PORTAL_RATE_TICKET_WRITES",
        "PORTAL_RATE_WRITES",
        "PORTAL_RATE_ADDRESS_WRITES",
        "PORTAL_RATE_API",
    )
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(url: str, timeout: float = 120, process: subprocess.Popen | None = None) -> None:
    """Until `url` answers 200; RuntimeError when `process` exits first or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
