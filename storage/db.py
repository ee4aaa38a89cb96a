"""Engine and session setup for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

#: Execution option marking a connection whose transactions will write (see `writer`).
WRITER = "escalations_writer"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if in_memory else None,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            # pysqlite's own transaction handling defers BEGIN; take it over so that we choose
            # the kind of BEGIN per transaction (see _sqlite_begin).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):  # pragma: no cover - trivial
            # Writers take the write lock up front (waiting on busy_timeout): a deferred
            # transaction that reads and then writes fails with SQLITE_BUSY at once, without
            # waiting, whenever another writer committed in between. Readers stay deferred, so
            # in WAL mode they never wait behind a writer.
            if connection.get_execution_options().get(WRITER):
                connection.exec_driver_sql("BEGIN IMMEDIATE")
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
