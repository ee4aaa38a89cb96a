"""The bot as a real process (`python -m slackbot`), for tests of start-up, signals and crashes.

It binds 127.0.0.1 on a free port, runs in its own working directory (no developer `.env`), logs
to a file the test can read when something goes wrong, and can be stopped with SIGTERM or killed.
PostgreSQL databases are fresh schemas of TEST_DATABASE_URL, named in the process's URL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import text

from storage.db import make_engine

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port nobody listens on just now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BotProcess:
    """One `python -m slackbot` process in HTTP (or Socket) mode."""

    def __init__(self, env: dict[str, str], workdir: Path, name: str = "bot") -> None:
        self.port = int(env.get("PORT") or free_port())
        self.env = {**env, "PORT": str(self.port)}
        self.workdir = workdir
        self.log_path = workdir / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        """Where Slack's requests go."""
        return self.base_url + "/slack/events"

    def start(self) -> BotProcess:
        """Start the process (returns at once; see `wait_healthy`)."""
        environment = {
            key: value
            for key, value in os.environ.items()
            if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")
        }
        environment.update(self.env)
        environment["PYTHONUNBUFFERED"] = "1"
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it until it exits
        self.process = subprocess.Popen(
            [sys.executable, "-m", "slackbot", "--host", "127.0.0.1"],
            cwd=self.workdir,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def healthz(self) -> int | None:
        """GET /healthz's status, or None if nothing answers."""
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return None

    def wait_healthy(self, timeout: float = 30.0) -> BotProcess:
        """Wait until /healthz answers 200; fail with the log if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"bot exited {self.process.returncode}:\n{self.log()}")
            if self.healthz() == 200:
                return self
            time.sleep(0.05)
        raise AssertionError(f"bot not healthy after {timeout} s:\n{self.log()}")

    def signal(self, signum: int) -> None:
        """Send a signal."""
        self.process.send_signal(signum)

    def kill(self) -> None:
        """SIGKILL, and wait for it to be gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit; its exit code."""
        return self.process.wait(timeout=timeout)

    def log(self) -> str:
        """What the process wrote so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Make sure the process is gone (tests call this in their teardown)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh, empty schema of the test database: yields a URL whose search_path is it."""
    schema = f"p_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        for attempt in range(40):
            try:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                break
            except Exception:
                if attempt == 39:
                    raise
                time.sleep(0.25)
        admin.dispose()
