"""Recording a Slack request before it is answered: one short INSERT, Slack waiting on it.

On PostgreSQL that is all: inserts of different rows never wait for each other. SQLite has one
write lock for the whole database, and the listeners' transactions hold it in turn. So on
SQLite one thread records for every request waiting to be answered: whatever arrived while it
waited goes in one transaction, which goes first at the process's writer gate (storage.db
WriteGate: it waits for the transaction inside, not for the queue), and polls for a lock held
by another process every millisecond (for at most `LOCK_WAIT` seconds) instead of sleeping on
it in SQLite's busy handler (sleeps growing to 100 ms).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from storage.db import is_sqlite, urgent_writer_options, writer
from storage.models import InboxRequest

#: On SQLite, how long recording waits for the write lock (Slack waits 3 s for its answer).
LOCK_WAIT = 2.5
#: The SQLite recording thread exits after this long with nothing to record.
IDLE_SECONDS = 5.0


def _insert(connection: Connection, row: dict[str, Any]) -> bool:
    """Insert one request; False if its key was there already."""
    dialect_insert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
    statement = (
        dialect_insert(InboxRequest)
        .values(**row)
        .on_conflict_do_nothing()
        .returning(InboxRequest.key)  # psycopg tells no rowcount here
    )
    return connection.execute(statement).first() is not None


@contextmanager
def _eager_write(engine: Engine) -> Iterator[Connection]:
    """A SQLite write transaction, first in line among this process's writers (storage.db's
    gate), whose lock (held by another process) is polled for every millisecond."""
    with writer(engine).connect() as connection:
        raw = connection.connection.dbapi_connection
        (patience,) = raw.execute("PRAGMA busy_timeout").fetchone()
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            give_up_at = time.monotonic() + LOCK_WAIT
            while True:
                patience = max(give_up_at - time.monotonic(), 0.001)
                connection.execution_options(**urgent_writer_options(patience))
                try:
                    transaction = connection.begin()
                    break
                except OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() >= give_up_at:
                        raise
                    time.sleep(0.001)
            with transaction:
                yield connection
        finally:
            raw.execute(f"PRAGMA busy_timeout = {int(patience)}")


class Recorder:
    """Inserts requests: directly on PostgreSQL, through one batching thread on SQLite."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._waiting: list[tuple[dict[str, Any], Future]] = []
        self._arrived = threading.Condition()
        self._thread: threading.Thread | None = None

    def record(self, row: dict[str, Any]) -> bool:
        """Insert `row` and commit; False if its key was there already. Raises when the
        database does not take it."""
        if not is_sqlite(self.engine):
            with writer(self.engine).begin() as connection:
                return _insert(connection, row)
        done: Future = Future()
        with self._arrived:
            self._waiting.append((row, done))
            self._arrived.notify()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="inbox-records", daemon=True)
                self._thread.start()
        return done.result(timeout=LOCK_WAIT + 5)

    def _run(self) -> None:
        while True:
            with self._arrived:
                if not self._waiting:
                    self._arrived.wait(IDLE_SECONDS)
                if not self._waiting:
                    self._thread = None
                    return
                batch, self._waiting = self._waiting, []
            try:
                with _eager_write(self.engine) as connection:
                    inserted = [_insert(connection, row) for row, _ in batch]
            except BaseException as exc:  # every request waiting is told
                for _, done in batch:
                    done.set_exception(exc)
                continue
            for (_, done), fresh in zip(batch, inserted, strict=True):
                done.set_result(fresh)
