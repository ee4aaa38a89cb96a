"""A real IMAP server for tests: Debian's Dovecot, unprivileged, on 127.0.0.1.

Each server has its own configuration, passwd-file user, maildir, log and sockets in a fresh
temporary directory, listens on two free ports (IMAP with STARTTLS, and IMAPS) with a
self-signed certificate made by `openssl`, and is stopped at teardown. Dovecot refuses to run
its login processes as root, so under root (CI) the whole server runs as `nobody`; otherwise
as the current user.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HOST = "127.0.0.1"
USER = "escalations"
START_TIMEOUT = 15.0
_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _run_as() -> tuple[str, str, int, int]:
    """(user, group, uid, gid) the server runs as: never root."""
    entry = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    return entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name, entry.pw_uid, entry.pw_gid


def _make_certificate(root: Path, openssl: str) -> None:
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
         "-days", "2", "-subj", "/CN=localhost",
         "-addext", f"subjectAltName=IP:{HOST},DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


_CONFIG = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
# Plain-text login without TLS, so that IMAP_SECURITY=none can be tested too.
disable_plaintext_auth = no
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {ssl_port}
    ssl = yes
  }}
}}
"""


@dataclass
class Dovecot:
    """A running Dovecot; `client()` logs in, `append()` delivers mail."""

    root: Path
    binary: str
    port: int = field(default_factory=_free_port)
    ssl_port: int = 0  # another free port, never `port` (see __post_init__)
    user: str = USER
    password: str = field(default_factory=lambda: secrets.token_hex(8))
    host: str = HOST
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        # Two probes in a row can be given the same free port (the first is closed before the
        # second binds): Dovecot would then fail to listen twice on it and exit 89.
        while self.ssl_port in (0, self.port):
            self.ssl_port = _free_port()

    @property
    def cafile(self) -> str:
        """The self-signed certificate, to trust in ssl and starttls tests."""
        return str(self.root / "cert.pem")

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate."""
        return ssl.create_default_context(cafile=self.cafile)

    def configure(self) -> None:
        """Write config and passwd-file; hand the directory to the user the server runs as."""
        user, group, uid, gid = _run_as()
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir(exist_ok=True)
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        (self.root / "dovecot.conf").write_text(
            _CONFIG.format(host=self.host, root=self.root, user=user, group=group, uid=uid,
                           gid=gid, port=self.port, ssl_port=self.ssl_port)
        )  # fmt: skip
        if os.geteuid() == 0:
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, uid, gid)

    def start(self) -> None:
        """Start the server (again, on the same ports) and wait until it greets."""
        _, _, uid, gid = _run_as()
        as_user = {"user": uid, "group": gid, "extra_groups": []} if os.geteuid() == 0 else {}
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            **as_user,
        )  # fmt: skip
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited ({self.process.returncode}): {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as probe:
                    if probe.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer within {START_TIMEOUT}s: {self.log()}")

    def stop(self) -> None:
        """Stop the server started here, sessions in progress included: the master and its
        children share the process group it was started in (the master alone would leave
        logged-in sessions serving until they log out)."""
        if self.process is None:
            return
        group = self.process.pid  # start_new_session: the group id is the master's pid
        with suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        with suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self.process = None

    def log(self) -> str:
        """The server's log, for failure messages."""
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"

    def client(self) -> imaplib.IMAP4:
        """A plain connection, logged in as the test user (for arranging tests)."""
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        connection.login(self.user, self.password)
        return connection

    def append(self, raw: bytes, folder: str = "INBOX") -> int:
        """Deliver `raw` to `folder` with IMAP APPEND; return its UID."""
        connection = self.client()
        try:
            status, data = connection.append(f'"{folder}"', None, None, raw)
            assert status == "OK", data
            code = connection.response("APPENDUID")[1][0]
        finally:
            connection.logout()
        return int(code.split()[1])

    def create_folder(self, folder: str) -> None:
        """Create a folder."""
        connection = self.client()
        try:
            status, data = connection.create(f'"{folder}"')
            assert status == "OK", data
        finally:
            connection.logout()

    def uidvalidity(self, folder: str = "INBOX") -> int:
        """The folder's UIDVALIDITY as the server reports it."""
        connection = self.client()
        try:
            status, data = connection.status(f'"{folder}"', "(UIDVALIDITY)")
            assert status == "OK", data
        finally:
            connection.logout()
        return int(data[0].split(b"UIDVALIDITY")[1].strip(b" ()"))

    def recreate_folder(self, folder: str) -> int:
        """Delete and create `folder` again (empty, with a new UIDVALIDITY); return it."""
        connection = self.client()
        try:
            connection.delete(f'"{folder}"')
            status, data = connection.create(f'"{folder}"')
            assert status == "OK", data
        finally:
            connection.logout()
        return self.uidvalidity(folder)


def _tools() -> tuple[str, str]:
    dovecot = shutil.which("dovecot", path=_SEARCH_PATH)
    openssl = shutil.which("openssl", path=_SEARCH_PATH)
    if dovecot and openssl:
        return dovecot, openssl
    missing = "dovecot (apt-get install dovecot-imapd)" if not dovecot else "openssl"
    if os.environ.get("CI"):
        pytest.fail(f"{missing} is not installed; .ci/run installs it")
    pytest.skip(f"{missing} is not installed locally; .ci/run installs it")


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A running Dovecot with one user (`.user` / `.password`) and an empty INBOX."""
    binary, openssl = _tools()
    # Not pytest's tmp_path: its parents are private to root, and the server may run as nobody.
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    server = Dovecot(root=root, binary=binary)
    try:
        _make_certificate(root, openssl)
        server.configure()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
