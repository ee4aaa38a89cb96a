"""SQLite transactions: readers begin deferred and never wait for a writer; writers begin
IMMEDIATE (write_session, writer(), the outbox and the migrations)."""

from __future__ import annotations

from sqlalchemy import event, text
from sqlmodel import Session

from storage.db import make_engine, write_session, writer


def _begins(engine) -> list[str]:
    seen: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: (
            seen.append(statement) if statement.startswith("BEGIN") else None
        ),
    )
    return seen


def test_reads_begin_deferred_and_writers_begin_immediate(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    begins = _begins(engine)
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.commit()
        # The next transaction of the same writer session is a writer too.
        session.execute(text("INSERT INTO t VALUES (1)"))
    with writer(engine).begin() as connection:
        connection.execute(text("SELECT count(*) FROM t"))
    with engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM t"))
    assert begins == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN IMMEDIATE", "BEGIN IMMEDIATE", "BEGIN"]
    engine.dispose()


def test_a_reader_does_not_wait_for_a_writer_holding_the_lock(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
    with write_session(engine) as holder:
        holder.execute(text("UPDATE t SET x = 2"))  # holds the write lock, uncommitted
        with Session(engine) as reader:
            # WAL: the reader sees the last committed state at once (busy_timeout is 30 s).
            assert reader.execute(text("SELECT x FROM t")).scalar_one() == 1
    with Session(engine) as reader:
        assert reader.execute(text("SELECT x FROM t")).scalar_one() == 2
    engine.dispose()
