"""Engine and session setup for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

#: Execution options: a connection whose transactions will write (see `writer`); one whose
#: writes go first at the gate (WriteGate) and wait there at most so many seconds.
WRITER = "escalations_writer"
URGENT = "escalations_urgent"
PATIENCE = "escalations_gate_patience"
#: SQLite's own wait for the write lock (busy_timeout), read when a connection opens.
BUSY_SECONDS = 30
#: The longest a writer waits at the process's gate (WriteGate) before it goes on to SQLite's
#: wait regardless.
GATE_SECONDS = 30


class WriteGate:
    """The writers of one SQLite database in this process, one at a time, before SQLite's lock.

    SQLite makes a writer that finds the write lock taken sleep and look again (its busy
    handler: 1, 2, 5, 10 … 100 ms), so under load writers wait in steps far longer than the
    lock is held (bench/PROFILE.md: 101 of 108 ms of SQL time per reaction was spent in
    BEGIN). Writers of this process queue here instead, blocked until the holder commits or
    rolls back, and reach BEGIN IMMEDIATE when the lock is free. Other processes (a second
    replica, the export) still meet SQLite's busy handler.

    An urgent writer (recording a request Slack waits on: slackbot.usecases.inbox_records)
    goes before every waiting ordinary one, so an answer waits for one transaction at most.

    A thread that holds the gate and begins a second write transaction on another connection
    passes it (it would wait for itself): SQLite then decides, as it did without the gate.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._turns = {urgent: threading.Condition(self._mutex) for urgent in (False, True)}
        self._waiting = {False: 0, True: 0}
        self._busy = False
        self._owner: int | None = None

    def enter(self, *, urgent: bool = False, patience: float = GATE_SECONDS) -> bool:
        """Wait (at most `patience` seconds) for the gate; whether this call took it (and must
        `leave` it). Not taken, the writer goes on to SQLite's own wait."""
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                return False
            self._waiting[urgent] += 1
            try:
                took = self._turns[urgent].wait_for(
                    lambda: not self._busy and (urgent or not self._waiting[True]), patience
                )
            finally:
                self._waiting[urgent] -= 1
            if took:  # (not taken: the predicate was false at the end, so someone is inside)
                self._busy, self._owner = True, me
        if not took:
            log.warning("a writer waited %.1f s for this process's others; going on", patience)
        return took

    def leave(self) -> None:
        """Let the next writer in: an urgent one if any waits."""
        with self._mutex:
            self._busy, self._owner = False, None
            self._turns[bool(self._waiting[True])].notify()

    def held(self) -> bool:
        """Whether some writer of this process is inside (for tests)."""
        return self._busy

    def waiting(self) -> int:
        """How many writers wait (for tests)."""
        with self._mutex:
            return self._waiting[False] + self._waiting[True]


#: One gate per database file, shared by every engine of this process that opens it.
_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


def write_gate(engine: Engine) -> WriteGate | None:
    """The gate in front of `engine`'s SQLite database file (None for PostgreSQL and for an
    in-memory database, whose gate is its engine's own)."""
    database = engine.url.database
    if not is_sqlite(engine) or _in_memory(database):
        return None
    return _gate_for(database)


def _in_memory(database: str | None) -> bool:
    return not database or database == ":memory:"


def _gate_for(database: str | None) -> WriteGate:
    if _in_memory(database):
        return WriteGate()  # a database of its own: nobody else to queue with
    key = os.path.realpath(database)
    with _gates_lock:
        return _gates.setdefault(key, WriteGate())


class _GatedConnection(sqlite3.Connection):
    """A pysqlite connection that lets the gate's next writer in when its transaction ends,
    however it ends: commit, rollback (the pool's reset on check-in included) or close."""

    gate: WriteGate | None = None
    inside = False

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._let_next_in()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_next_in()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_next_in()

    def _let_next_in(self) -> None:
        if self.inside:
            self.inside = False
            self.gate.leave()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        gate = _gate_for(make_url(url).database)
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": BUSY_SECONDS,
                "factory": _GatedConnection,
            },
            poolclass=StaticPool if in_memory else None,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            # pysqlite's own transaction handling defers BEGIN; take it over so that we choose
            # the kind of BEGIN per transaction (see _sqlite_begin).
            dbapi_connection.isolation_level = None
            dbapi_connection.gate = gate
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):  # pragma: no cover - trivial
            # Writers take the write lock up front (waiting on busy_timeout): a deferred
            # transaction that reads and then writes fails with SQLITE_BUSY at once, without
            # waiting, whenever another writer committed in between. Readers stay deferred, so
            # in WAL mode they never wait behind a writer. Writers of this process queue at the
            # gate first (WriteGate), the connection lets the next one in when it ends.
            options = connection.get_execution_options()
            if options.get(WRITER):
                dbapi = connection.connection.dbapi_connection
                took = gate.enter(
                    urgent=bool(options.get(URGENT)),
                    patience=options.get(PATIENCE, GATE_SECONDS),
                )
                try:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                except BaseException:
                    if took:
                        gate.leave()
                    raise
                if took:
                    dbapi.inside = True
            else:
                connection.exec_driver_sql("BEGIN")

        return engine
    # No pool_pre_ping: it costs a round trip on every checkout. Connections are recycled after
    # five minutes instead (ahead of server and proxy idle timeouts), and a connection that was
    # dropped anyway fails its one transaction, whereupon SQLAlchemy invalidates the pool and
    # the outbox and the scheduler retry.
    return create_engine(url, pool_recycle=300, pool_size=10, max_overflow=10)


def writer(engine: Engine) -> Engine:
    """The same engine (same pool) for transactions that write: BEGIN IMMEDIATE on SQLite."""
    # Not cached: a cache keyed by the engine would keep it alive (the copy refers to it), and
    # the copy costs a few microseconds against a transaction's milliseconds.
    return engine.execution_options(**{WRITER: True})


def urgent_writer_options(patience: float) -> dict[str, object]:
    """Execution options for a write that someone waits on (SQLite: first at the process's
    gate, and there at most `patience` seconds); set on a `writer` connection."""
    return {WRITER: True, URGENT: True, PATIENCE: patience}


def make_reader_engine(url: str) -> Engine:
    """An engine for long reads (exports): on SQLite, transactions start deferred, not IMMEDIATE.

    A reader in WAL mode never blocks the bot's writers, whereas `make_engine`'s BEGIN IMMEDIATE
    would hold the write lock for as long as the export runs.
    """
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    return make_engine(url)


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one unit of work, committed on success and rolled back on error.

    On SQLite its transactions start with BEGIN IMMEDIATE (`writer`), so two writers never both
    read the old state; on PostgreSQL writers lock the rows they change (SELECT … FOR UPDATE).
    A plain `Session(engine)` is for reads: its transactions are deferred.
    """
    with Session(writer(engine), expire_on_commit=False) as session:
        yield session
        session.commit()


def ping(engine: Engine) -> bool:
    """Whether the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not healthy"
        return False
