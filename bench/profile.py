"""`python -m bench --profile DIR`: where the bot spends its time and its SQL, phase by phase.

py-spy (the `bench` extra: `pip install -e ".[bench]"`) samples the bot process during each
measured phase (samples of threads holding the GIL: Python's own work, which one process runs
one thread at a time) and writes DIR/<db>-<phase>.txt: the share of
samples per function of the repository's own code (inclusive), per library, and the hottest
leaf functions. The statement list per reaction and per `/escalate list` comes from the
preload's origin counters (DIR/<db>-sql-*.txt). Timings taken with --profile are slowed by the
sampling and the origin walk: take the table from a run without it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.processes import ROOT

_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^()]*?)(?::\d+)?\)$")
_NOT_OURS = ("bench/", "tests/", ".venv/")


def py_spy() -> str | None:
    """The py-spy executable next to this interpreter, or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Spy:
    """py-spy recording one process until stopped (a context manager)."""

    def __init__(self, pid: int, output: Path, rate: int = 250) -> None:
        self.output = output
        self.args = [py_spy() or "py-spy", "record", "--pid", str(pid), "--rate", str(rate)]
        self.args += [
            "--format",
            "raw",
            "--output",
            str(output),
            "--nonblocking",
            "--full-filenames",
        ]
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Spy:
        self.process = subprocess.Popen(
            self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process is None:
            return
        # py-spy writes its output when interrupted, as on Ctrl-C.
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _frames(line: str) -> tuple[list[tuple[str, str]], int]:
    stack, _, count = line.rpartition(" ")
    frames = []
    for part in stack.split(";"):
        match = _FRAME.match(part)
        if match:
            frames.append((match["function"], match["path"]))
    return frames, int(count) if count.isdigit() else 0


def _ours(path: str) -> str | None:
    root = str(ROOT) + os.sep
    if not path.startswith(root):
        return None
    relative = path[len(root) :]
    return None if relative.startswith(_NOT_OURS) else relative


def _library(path: str) -> str:
    if _ours(path):
        return "(our code)"
    match = re.search(r"site-packages/([^/]+)", path)
    if match:
        return match[1].removesuffix(".py")
    match = re.search(r"python3\.\d+/([^/]+)", path)
    return f"stdlib {match[1].removesuffix('.py')}" if match else path


def summarize(raw: Path, *, top: int = 30) -> str:
    """A text summary of a py-spy raw (collapsed stacks) file."""
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    libraries: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        frames, count = _frames(line)
        if not frames or not count:
            continue
        total += count
        seen = set()
        for function, path in frames:
            ours = _ours(path)
            if ours and (ours, function) not in seen:
                seen.add((ours, function))
                inclusive[f"{ours}:{function}"] += count
        function, path = frames[-1]
        leaves[f"{_library(path)}: {function}"] += count
        libraries[_library(path)] += count
    if not total:
        return f"{raw.name}: no samples\n"
    out = [f"{raw.name}: {total} samples holding the GIL", "", "our functions, inclusive:"]
    out += [f"  {n / total:6.1%}  {name}" for name, n in inclusive.most_common(top)]
    out += ["", "leaf time by library:"]
    out += [f"  {n / total:6.1%}  {name}" for name, n in libraries.most_common(15)]
    out += ["", "hottest leaf functions:"]
    out += [f"  {n / total:6.1%}  {name}" for name, n in leaves.most_common(top)]
    return "\n".join(out) + "\n"


def origins_report(origins: Counter[str], per: int, what: str) -> str:
    """Statements by where they come from, per `what` (averaged over `per` of them)."""
    total = sum(origins.values())
    out = [f"{total / per:.1f} SQL statements per {what} (over {per}), by origin:"]
    out += [f"  {n / per:6.2f}  {key}" for key, n in origins.most_common()]
    return "\n".join(out) + "\n"
