"""Loaded by the bot process the benchmark starts (this folder is put first on its PYTHONPATH).

It changes nothing in the bot's code and imports none of it, so it survives any package layout:

- `python -m slackbot` serves on 0.0.0.0 (there is no host setting); the benchmark binds
  loopback only, so every bind to the wildcard address is pinned to 127.0.0.1.
- With BENCH_COUNTS_FILE set, SQLAlchemy's class-level engine and pool events count every SQL
  statement (SQLite's BEGINs apart), connection checkout, commit and rollback of every engine in
  the process; SIGUSR1 writes the totals to that file as JSON (the benchmark takes the
  difference around a phase).
- With BENCH_SQL_ORIGINS set as well (`python -m bench --profile`), each statement is also
  counted by where in our code it comes from (the two innermost frames of the repository's own
  files) and what it is (verb and table), for the profile's per-reaction statement list.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path

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

_counts = {"sql": 0, "begins": 0, "checkouts": 0, "connects": 0, "commits": 0, "rollbacks": 0}
#: Wall-clock seconds inside cursor.execute (the driver and the database, lock waits included),
#: and the part spent beginning SQLite transactions: from SQLAlchemy's begin event (before the
#: bot's own begin hook, which may queue a writer behind the process's others) to the end of
#: its BEGIN (IMMEDIATE: SQLite's write lock); that whole wait counts as SQL time.
_seconds = {"sql_seconds": 0.0, "begin_seconds": 0.0}
_origins: Counter[str] = Counter()
_lock = threading.Lock()
#: The repository's own code (the bot's packages), wherever the layout puts them.
_REPO = str(Path(__file__).resolve().parent.parent.parent) + os.sep
_NOT_OURS = ("bench/", "tests/", ".venv/")
_TARGET = {"INSERT": "INTO", "DELETE": "FROM", "UPDATE": "UPDATE", "SELECT": "FROM"}


def _bump(name: str) -> None:
    with _lock:
        _counts[name] += 1


def _origin(statement: str) -> str:
    """ "file:function < file:function | VERB table" for the statement being executed."""
    frames = []
    frame = sys._getframe(1)
    while frame is not None and len(frames) < 2:
        path = frame.f_code.co_filename
        if path.startswith(_REPO) and not path[len(_REPO) :].startswith(_NOT_OURS):
            frames.append(f"{path[len(_REPO) :]}:{frame.f_code.co_name}")
        frame = frame.f_back
    words = statement.replace("\n", " ").split()
    verb = words[0].upper() if words else "?"
    what = " ".join(words[:2]) if verb in ("BEGIN", "SAVEPOINT", "RELEASE") else verb
    if verb in _TARGET:
        upper = [word.upper() for word in words]
        marker = _TARGET[verb]
        if marker in upper and upper.index(marker) + 1 < len(words):
            what += " " + words[upper.index(marker) + 1].strip('"')
    return f"{' < '.join(frames) or '(library)'} | {what}"


def _count_statement(conn, _cursor, statement, *_args) -> None:
    # SQLite's BEGIN is a statement of our own (storage.db); PostgreSQL's is implicit. Counted
    # apart so that the two databases compare.
    _bump("begins" if statement.startswith("BEGIN") else "sql")
    conn.info["bench_began"] = time.perf_counter()


def _begin_started(conn) -> None:
    conn.info["bench_begin_event"] = time.perf_counter()


def _statement_done(conn, _cursor, statement, *_args) -> None:
    began = conn.info.pop("bench_began", None)
    if began is None:
        return
    if statement.startswith("BEGIN"):
        began = min(began, conn.info.pop("bench_begin_event", began))
    took = time.perf_counter() - began
    with _lock:
        _seconds["sql_seconds"] += took
        if statement.startswith("BEGIN"):
            _seconds["begin_seconds"] += took


def _count_statement_and_origin(_conn, _cursor, statement, *_args) -> None:
    _count_statement(_conn, _cursor, statement)
    key = _origin(statement)
    with _lock:
        _origins[key] += 1


def _dump(_signum, _frame) -> None:
    """Write the totals so far to BENCH_COUNTS_FILE (atomically: the reader polls for it)."""
    path = os.environ["BENCH_COUNTS_FILE"]
    with _lock:
        data = dict(_counts)
        data.update(_seconds)
        if _origins:
            data["origins"] = dict(_origins)
    with open(path + ".tmp", "w") as out:
        json.dump(data, out)
    os.replace(path + ".tmp", path)


if os.environ.get("BENCH_COUNTS_FILE"):
    if os.environ.get("BENCH_SQL_ORIGINS"):
        event.listen(Engine, "before_cursor_execute", _count_statement_and_origin)
    else:
        event.listen(Engine, "before_cursor_execute", _count_statement)
    event.listen(Engine, "after_cursor_execute", _statement_done)
    event.listen(Engine, "begin", _begin_started)
    event.listen(Engine, "commit", lambda *_: _bump("commits"))
    event.listen(Engine, "rollback", lambda *_: _bump("rollbacks"))
    event.listen(Pool, "checkout", lambda *_: _bump("checkouts"))
    event.listen(Pool, "connect", lambda *_: _bump("connects"))
    signal.signal(signal.SIGUSR1, _dump)
