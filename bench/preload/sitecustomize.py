"""Loaded by the bot process the benchmark starts (this folder is put first on its PYTHONPATH).

It changes nothing in the bot's code and imports none of it, so it survives any package layout:

- `python -m slackbot` serves on 0.0.0.0 (there is no host setting); the benchmark binds
  loopback only, so every bind to the wildcard address is pinned to 127.0.0.1.
- With BENCH_COUNTS_FILE set, SQLAlchemy's class-level engine and pool events count every SQL
  statement, connection checkout, commit and rollback of every engine in the process; SIGUSR1
  writes the totals to that file as JSON (the benchmark takes the difference around a phase).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

_WILDCARDS = ("0.0.0.0", "", "::")
_bind = socket.socket.bind


def _loopback_bind(self: socket.socket, address) -> None:
    """Bind as asked, but to loopback instead of every interface."""
    if isinstance(address, tuple) and address and address[0] in _WILDCARDS:
        loopback = "::1" if self.family == socket.AF_INET6 else "127.0.0.1"
        address = (loopback, *address[1:])
    _bind(self, address)


socket.socket.bind = _loopback_bind

_counts = {"sql": 0, "checkouts": 0, "commits": 0, "rollbacks": 0}
_lock = threading.Lock()


def _bump(name: str) -> None:
    with _lock:
        _counts[name] += 1


def _dump(_signum, _frame) -> None:
    """Write the totals so far to BENCH_COUNTS_FILE (atomically: the reader polls for it)."""
    path = os.environ["BENCH_COUNTS_FILE"]
    with _lock:
        data = dict(_counts)
    with open(path + ".tmp", "w") as out:
        json.dump(data, out)
    os.replace(path + ".tmp", path)


if os.environ.get("BENCH_COUNTS_FILE"):
    event.listen(Engine, "before_cursor_execute", lambda *_: _bump("sql"))
    event.listen(Engine, "commit", lambda *_: _bump("commits"))
    event.listen(Engine, "rollback", lambda *_: _bump("rollbacks"))
    event.listen(Pool, "checkout", lambda *_: _bump("checkouts"))
    signal.signal(signal.SIGUSR1, _dump)
