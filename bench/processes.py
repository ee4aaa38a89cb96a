"""The processes the benchmark measures: the bot (`python -m slackbot`) and the bare Bolt app.

Both run from the venv's interpreter in a scratch directory (so that no developer's `.env` is
read), configured only through documented settings, and are measured from outside: start-up to
the first 200 on /healthz, peak RSS (VmHWM) and CPU time from /proc.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRELOAD = Path(__file__).resolve().parent / "preload"
BARE_APP = Path(__file__).resolve().parent / "bare_app.py"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(port: int, path: str, timeout: float = 2.0) -> int:
    """The status of GET `path` on 127.0.0.1:`port`; 0 when nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class BotProcess:
    """`python -m slackbot` in HTTP mode, with the counting preload (see preload/)."""

    def __init__(self, env: dict[str, str], workdir: Path, name: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.counts_file = workdir / f"{name}.counts.json"
        self.log_path = workdir / f"{name}.log"
        self.env = {
            **os.environ,
            **env,
            "PORT": str(self.port),
            "BENCH_COUNTS_FILE": str(self.counts_file),
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(PRELOAD), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> float:
        """Start it; seconds from process start to the first 200 on /healthz."""
        log = self.log_path.open("ab")
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "slackbot"],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        while time.perf_counter() - began < timeout:
            if http_get(self.port, "/healthz", timeout=1.0) == 200:
                return time.perf_counter() - began
            if self.process.poll() is not None:
                break
            time.sleep(0.005)
        self.stop()
        raise RuntimeError(f"the bot did not become healthy; its log:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        """The bot's process id."""
        assert self.process is not None
        return self.process.pid

    def counts(self, timeout: float = 10.0) -> dict[str, int]:
        """SQL statements, checkouts, commits and rollbacks so far (the preload's counters)."""
        self.counts_file.unlink(missing_ok=True)
        os.kill(self.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.counts_file.exists():
                return json.loads(self.counts_file.read_text())
            time.sleep(0.01)
        raise RuntimeError("the bot did not write its counters")

    def log_tail(self, lines: int = 30) -> str:
        """The end of the bot's output."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (the bot finishes acked work), then SIGKILL if it hangs; its exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


class BareProcess:
    """bench/bare_app.py: the bare Bolt app on the same waitress settings."""

    def __init__(
        self, signing_secret: str, api_url: str, action_ids: list[str], workdir: Path
    ) -> None:
        self.port = free_port()
        args = [sys.executable, str(BARE_APP), "--port", str(self.port)]
        for action_id in action_ids:
            args += ["--action", action_id]
        self.process = subprocess.Popen(
            args,
            cwd=workdir,
            env={**os.environ, "SLACK_SIGNING_SECRET": signing_secret, "SLACK_API_URL": api_url},
            stdout=subprocess.PIPE,
            stderr=(workdir / "bare.log").open("ab"),
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("listening on"):
            self.stop()
            raise RuntimeError("the bare app did not start: see bare.log")

    @property
    def pid(self) -> int:
        """The bare app's process id."""
        return self.process.pid

    def stop(self) -> None:
        """Terminate it."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
