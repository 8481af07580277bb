"""What the benchmarks that serve the portal share: a free port, waiting until a server answers, a served
portal whose CPU time can be read, and timed HTTP load."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 120
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


class Server:
    """`portal serve` as the README runs it, in its own process group so a kill takes every worker."""

    def __init__(self, env: dict[str, str], port: int, workers: int | None, log: Path) -> None:
        self.env, self.port, self.workers, self.log = env, port, workers, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "portal.cli", "serve", "--port", str(self.port)]
        if self.workers is not None:
            command += ["--workers", str(self.workers)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_ready(f"http://127.0.0.1:{self.port}/ready", START_TIMEOUT_S, self.process)
        except RuntimeError as exc:
            self.stop()
            raise SystemExit(f"portal serve was not ready: {exc}; see {self.log}") from None

    def _group(self) -> list[list[str]]:
        """The /proc stat fields of every live process of the server's group (Linux)."""
        if self.process is None:
            return []
        members = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid:  # field 5 of stat: the process group
                members.append(fields)
        return members

    def cpu_seconds(self) -> float:
        """CPU time used so far by every live process of the server's group."""
        return sum(int(f[11]) + int(f[12]) for f in self._group()) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def worker_count(self) -> int:
        """Granian's worker processes: the group without its leader."""
        return len(self._group()) - 1

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass(frozen=True, slots=True)
class Load:
    rate: float  # answered requests per second
    requests: int


def _wrk(url: str, paths: list[str], seconds: int, workdir: Path, headers: dict[str, str]) -> Load:
    script = workdir / "paths.lua"
    listed = ",".join(json.dumps(p) for p in paths)
    sent = "".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in headers.items())
    # Each of wrk's threads runs its own copy of the script: without an offset per thread both would
    # request the same paths in the same order, and a list of "distinct" pages would be asked twice each.
    script.write_text(
        f"{sent}paths = {{{listed}}}\nthreads = 0\n"
        "setup = function(thread)\n  thread:set('offset', threads)\n  threads = threads + 1\nend\n"
        "init = function(args)\n  i = offset\nend\n"
        "request = function()\n  i = i % #paths + 1\n  local path = paths[i]\n  i = i + 1\n"
        "  return wrk.format('GET', path)\nend\n"
    )
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "-s", str(script), url], capture_output=True, text=True, check=True
    ).stdout
    errors = [line.strip() for line in out.splitlines() if "Non-2xx" in line]
    if errors:  # a rate of error pages measures nothing
        raise RuntimeError(f"wrk {paths[0]}…: {'; '.join(errors)}")
    done = next(line for line in out.splitlines() if " requests in " in line)
    line = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
    return Load(float(line.split()[1]), int(done.split()[0]))


async def _python(url: str, paths: list[str], seconds: int, headers: dict[str, str]) -> Load:
    done = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=url, limits=limits, headers=headers) as client:

        async def worker(offset: int) -> None:
            nonlocal done
            i = offset
            while time.monotonic() < stop:
                response = await client.get(paths[i % len(paths)])
                response.raise_for_status()
                done += 1
                i += 1

        await asyncio.gather(*(worker(n) for n in range(32)))
    return Load(done / seconds, done)


def warm(url: str, paths: list[str], headers: dict[str, str] | None = None, rounds: int = 4) -> None:
    """Each page `rounds` times before the clock starts: the steady state of a server in use, whose
    readers' pages are already cached, rather than its first seconds after a change. A page is kept from
    its second request in each worker, and the kernel spreads the connections over the workers."""
    for _round in range(rounds):
        with httpx.Client(base_url=url, headers=headers or {}) as client:  # a connection of its own a round
            for path in dict.fromkeys(paths):
                client.get(path).raise_for_status()


def load(url: str, paths: list[str], seconds: int, workdir: Path, headers: dict[str, str] | None = None) -> Load:
    """32 connections requesting `paths` in turn for `seconds` (wrk when installed, else httpx), not warmed."""
    if shutil.which("wrk"):
        return _wrk(url, paths, seconds, workdir, headers or {})
    return asyncio.run(_python(url, paths, seconds, headers or {}))


def rate(url: str, paths: list[str], seconds: int, workdir: Path) -> float:
    """Requests/s over warmed pages."""
    warm(url, paths)
    return load(url, paths, seconds, workdir).rate


def descendants(pid: int) -> list[int]:
    """The process ids below `pid` (granian runs its workers as children), children before grandchildren."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The command name may hold spaces and parentheses: the fields after the last ")" do not.
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        current = todo.pop(0)
        found.append(current)
        todo += children.get(current, [])
    return found


def server_memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of the process and all its descendants. RSS counts a page each process shares (the
    operating system's cached copy of a mapped file, say) once per process; PSS divides it among them,
    so the PSS of all of them is the memory the server takes."""
    kilobytes = {"Rss": 0, "Pss": 0}
    for current in [pid, *descendants(pid)]:
        try:
            for line in (Path("/proc") / str(current) / "smaps_rollup").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in kilobytes:
                    kilobytes[name] += int(value.split()[0])
        except OSError:
            continue
    return kilobytes["Rss"] / 1024, kilobytes["Pss"] / 1024
