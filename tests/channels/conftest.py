"""A real IMAP server for the inbound-mail tests: Debian's dovecot under a generated configuration in a
temporary directory, on a free port of 127.0.0.1, started and stopped by the fixture (no system service)."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, missing

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "support", "imap-test-password"


def _accounts() -> tuple[str, str, int, int]:
    """Who dovecot runs as: ourselves, or (as root, which it refuses for mail) the package's own users."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return me, me, os.geteuid(), os.getegid()
    return "dovenull", "dovecot", pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid


def _config(root: Path, port: int) -> str:
    login_user, internal_user, uid, gid = _accounts()
    group = grp.getgrgid(gid).gr_name
    unix = "\n".join(
        f"service {service} {{\n  unix_listener {listener} {{\n    group = {group}\n    mode = 0660\n  }}\n}}"
        for service, listener in (
            ("dict", "dict"),
            ("dict-async", "dict-async"),
            ("imap-hibernate", "imap-hibernate"),
        )
    )
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    group = {group}
    mode = 0660
  }}
  unix_listener stats-writer {{
    group = {group}
    mode = 0660
  }}
}}
{unix}
"""


@dataclass(frozen=True)
class Imap:
    url: str
    port: int

    def connect(self) -> imaplib.IMAP4:
        for attempt in range(5):
            conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
            try:
                conn.login(USER, PASSWORD)
                break
            except imaplib.IMAP4.error as exc:
                # dovecot answers "[UNAVAILABLE]" when its auth process is busy on a loaded machine.
                conn.shutdown()
                if "UNAVAILABLE" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.2)
        conn.select("INBOX")
        return conn

    def append(self, *messages: bytes) -> None:
        conn = self.connect()
        try:
            for raw in messages:
                conn.append("INBOX", None, None, raw)
        finally:
            conn.logout()

    def count(self) -> int:
        conn = self.connect()
        try:
            _status, data = conn.search(None, "ALL")
            return len(data[0].split())
        finally:
            conn.logout()

    def clear(self) -> None:
        conn = self.connect()
        try:
            conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)") if self.count_open(conn) else None
            conn.expunge()
        finally:
            conn.logout()

    @staticmethod
    def count_open(conn: imaplib.IMAP4) -> int:
        _status, data = conn.search(None, "ALL")
        return len(data[0].split())


def start(root: Path) -> tuple[Imap, Callable[[], None]]:
    """dovecot serving one mailbox from `root`; returns it and the function that stops it."""
    _login, _internal, uid, gid = _accounts()
    for folder in ("run", "state", "home"):
        (root / folder).mkdir(exist_ok=True)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(_config(root, port))
    if os.geteuid() == 0:
        # The mail user must reach its home under pytest's private temporary directories.
        for path in (root / "home", root / "state"):
            os.chown(path, uid, gid)
        for parent in (root, *root.parents):
            if str(parent) in ("/", "/tmp"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)

    def stop() -> None:
        subprocess.run([DOVECOT, "-c", str(config), "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    # dovecot forks into the background: the daemon must not hold our pipes open.
    with (root / "start.log").open("w") as output:
        started = subprocess.run([DOVECOT, "-c", str(config)], stdout=output, stderr=subprocess.STDOUT)
    if started.returncode != 0:
        raise RuntimeError(f"dovecot did not start: {(root / 'start.log').read_text()}")
    server = Imap(url=f"imap://{USER}:{PASSWORD}@127.0.0.1:{port}/INBOX", port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            server.count()
            return server, stop
        except (OSError, imaplib.IMAP4.error):
            if time.monotonic() > deadline:
                stop()
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot does not answer: {log[-2000:]}") from None
            time.sleep(0.1)


@pytest.fixture(scope="session")
def imap_server() -> Iterator[Imap]:
    if not Path(DOVECOT).exists():
        missing("dovecot (apt-get install dovecot-imapd)")
    # Its own directory, not pytest's numbered ones: another pytest run on the machine prunes those
    # while this server still reads its password file and sockets there.
    root = Path(tempfile.mkdtemp(prefix="portal-dovecot-"))
    try:
        server, stop = start(root)
    except RuntimeError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(str(exc))
    yield server
    stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap(imap_server: Imap) -> Imap:
    """The server's INBOX, empty at the start of the test."""
    imap_server.clear()
    return imap_server
