"""`portal serve` as an operator runs it: SIGTERM under load leaves no process behind within a bound, a
worker that dies is replaced by one that answers, and a port already taken is said in one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port

STOP_WITHIN_S = 15


def _children() -> dict[int, list[int]]:
    """Every process's children, from the process table."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # "pid (name) state ppid …": the name may hold spaces and parentheses, so split after the last ")".
        fields = stat.rpartition(")")[2].split()
        if fields[0] != "Z":
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, within_s: float, step_s: float = 0.1) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step_s)
    return condition()


def default_workers() -> int:
    return min(os.cpu_count() or 1, 8)


@pytest.fixture
def served(request, tmp_path: Path, database_url: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`portal serve --workers 2`, or with the --workers a test gives as its parameter (None: no option)."""
    workers = getattr(request, "param", 2)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        {
            "PORTAL_DATA_DIR": str(tmp_path / "data"),
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_HOST": "127.0.0.1",
            "PORTAL_PORT": str(port),
            "PORTAL_DEMO_ACCOUNTS": "false",
            "PORTAL_RATE_SEARCH": "100000/60",  # the load below is one address searching
        }
    )
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "serve", *(["--workers", str(workers)] if workers else [])],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the clean-up below reaches every process it left
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert process.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            return httpx.get(f"{url}/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        assert wait_for(ready, 90, 0.2), "portal serve did not become ready"
        expected = workers or default_workers()
        assert wait_for(lambda: len(descendants(process.pid)) >= expected, 30), f"{expected} workers expected"
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        with __import__("contextlib").suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()


def _load(url: str, stop: threading.Event, answered: list[int]) -> None:
    paths = ["/kb/search?q=password+reset", "/api/kb/search?q=invoice", "/api/kb/suggest?q=pass", "/kb", "/health"]
    with httpx.Client(timeout=5) as client:
        n = 0
        while not stop.is_set():
            try:
                answered.append(client.get(url + paths[n % len(paths)]).status_code)
            except httpx.HTTPError:
                pass  # the server going away mid-request is what this test is about
            n += 1


def test_sigterm_under_load_leaves_no_process_behind(served):
    process, url = served
    workers = descendants(process.pid)
    stop = threading.Event()
    answered: list[int] = []
    clients = [threading.Thread(target=_load, args=(url, stop, answered)) for _ in range(8)]
    for client in clients:
        client.start()
    try:
        assert wait_for(lambda: len(answered) >= 300, 60), f"only {len(answered)} requests answered"
        assert set(answered) == {200}
        process.send_signal(signal.SIGTERM)
        everything = {process.pid, *workers}
        assert wait_for(lambda: not any(alive(pid) for pid in everything), STOP_WITHIN_S), (
            f"still running {STOP_WITHIN_S} s after SIGTERM: {[pid for pid in everything if alive(pid)]}"
        )
    finally:
        stop.set()
        for client in clients:
            client.join()
    assert process.wait(timeout=5) is not None


def test_a_killed_worker_is_replaced_by_one_that_answers(served):
    process, url = served
    before = descendants(process.pid)
    victim = max(before)
    os.kill(victim, signal.SIGKILL)

    def replaced() -> bool:
        return not alive(victim) and len(descendants(process.pid) - before) >= 1

    assert wait_for(replaced, 30), "no new worker after one was killed"
    assert process.poll() is None

    def every_worker_answers() -> bool:
        """Enough fresh connections that each worker gets some; the new worker may still be starting."""
        try:
            statuses = set()
            for _ in range(20):
                with httpx.Client(timeout=5) as client:
                    statuses.add(client.get(f"{url}/kb/search?q=password").status_code)
        except httpx.TransportError:
            return False
        return statuses == {200}

    assert wait_for(every_worker_answers, 60), "the server did not answer on every connection again"


@pytest.mark.parametrize("served", [None], indirect=True)
def test_without_workers_it_runs_one_per_cpu_at_most_8_on_either_database(served):
    """SQLite too: its processes' writers queue on a lock beside the database (see test_sqlite_processes.py)."""
    process, url = served
    assert len(descendants(process.pid)) == default_workers()
    with httpx.Client(timeout=5) as client:
        assert client.get(f"{url}/ready").status_code == 200


def test_a_port_already_in_use_is_said_in_one_line(tmp_path: Path, database_url: str):
    # Another program (or a portal already running) listens on the port a newcomer asks for.
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
        env.update({"PORTAL_DATA_DIR": str(tmp_path / "data"), "PORTAL_DATABASE_URL": database_url})
        done = subprocess.run(
            [sys.executable, "-m", "portal.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert len((done.stderr + done.stdout).strip().splitlines()) == 1
