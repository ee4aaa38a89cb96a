"""SQLite writers of one process queue at the database's gate (storage.db.WriteGate) instead of
polling SQLite's write lock, and every way a write transaction ends lets the next one in.

SQLite's own wait is set to nothing here (`BUSY_SECONDS = 0`): a writer that reached BEGIN
IMMEDIATE while another held the lock would fail at once with "database is locked". Writers that
succeed anyway waited at the gate.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

import storage.db
from storage.db import make_engine, urgent_writer_options, write_gate, write_session, writer
from tests.support.waiting import wait_until


@pytest.fixture
def engine(tmp_path, monkeypatch):
    monkeypatch.setattr(storage.db, "BUSY_SECONDS", 0)
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.sqlite'}")
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def _count(engine) -> int:
    with Session(engine) as session:
        return session.execute(text("SELECT count(*) FROM t")).scalar_one()


def test_writers_queue_at_the_gate_instead_of_failing_on_the_lock(engine):
    errors: list[BaseException] = []
    started = threading.Barrier(9)

    def insert() -> None:
        started.wait()
        try:
            with write_session(engine) as session:
                session.execute(text("INSERT INTO t VALUES (1)"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=insert) for _ in range(8)]
    with write_session(engine) as holder:
        holder.execute(text("INSERT INTO t VALUES (0)"))  # holds the write lock, uncommitted
        for thread in threads:
            thread.start()
        started.wait()
        # Without the gate every one of them fails now, at BEGIN IMMEDIATE (no busy wait).
        for thread in threads:
            thread.join(0.05)
        assert not errors
    for thread in threads:
        thread.join(10)
    assert not errors
    assert _count(engine) == 9
    assert not write_gate(engine).held()


def test_every_end_of_a_write_transaction_lets_the_next_writer_in(engine):
    gate = write_gate(engine)
    with write_session(engine) as session:  # commit
        session.execute(text("INSERT INTO t VALUES (1)"))
        assert gate.held()
    assert not gate.held()

    with pytest.raises(RuntimeError), write_session(engine) as session:  # rollback on an error
        session.execute(text("INSERT INTO t VALUES (2)"))
        raise RuntimeError("the use case failed")
    assert not gate.held()

    connection = writer(engine).connect()  # begun, then returned to the pool unfinished
    connection.execute(text("INSERT INTO t VALUES (3)"))
    assert gate.held()
    connection.close()
    assert not gate.held()

    connection = writer(engine).connect()  # begun, then its connection thrown away
    connection.execute(text("INSERT INTO t VALUES (4)"))
    connection.invalidate()
    connection.close()
    assert not gate.held()

    assert _count(engine) == 1


def test_a_failed_begin_leaves_the_gate_open(engine, tmp_path):
    # Another process's writer holds SQLite's lock (a plain connection, outside our gate).
    outsider = sqlite3.connect(str(tmp_path / "gate.sqlite"), isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError), write_session(engine) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
        assert not write_gate(engine).held()
    finally:
        outsider.execute("ROLLBACK")
        outsider.close()
    with write_session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
    assert _count(engine) == 1


def test_a_second_writer_in_the_holding_thread_is_refused_by_sqlite_not_left_waiting(engine):
    outcome: list[str] = []

    def nested() -> None:
        with write_session(engine) as outer:
            outer.execute(text("INSERT INTO t VALUES (1)"))
            try:
                with write_session(engine) as inner:
                    inner.execute(text("INSERT INTO t VALUES (2)"))
            except OperationalError:
                outcome.append("refused")

    thread = threading.Thread(target=nested, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the nested writer waited for its own thread"
    assert outcome == ["refused"]
    assert _count(engine) == 1
    assert not write_gate(engine).held()


def test_engines_on_one_file_share_a_gate_and_memory_databases_have_none(engine, tmp_path):
    second = make_engine(f"sqlite:///{tmp_path / 'gate.sqlite'}")
    try:
        assert write_gate(second) is write_gate(engine)
        with write_session(engine) as holder:
            holder.execute(text("INSERT INTO t VALUES (1)"))
            assert write_gate(second).held()
    finally:
        second.dispose()
    assert write_gate(make_engine("sqlite://")) is None


def test_an_urgent_writer_goes_before_the_ordinary_ones_waiting(engine):
    gate = write_gate(engine)
    order: list[str] = []

    def ordinary(name: str) -> None:
        with write_session(engine) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            order.append(name)

    def urgent() -> None:
        with writer(engine).connect() as connection:
            connection.execution_options(**urgent_writer_options(5.0))
            with connection.begin():
                connection.execute(text("INSERT INTO t VALUES (2)"))
                order.append("urgent")

    threads = []
    with write_session(engine) as holder:
        holder.execute(text("INSERT INTO t VALUES (0)"))
        for number, target in enumerate([lambda: ordinary("first"), lambda: ordinary("second")]):
            threads.append(threading.Thread(target=target))
            threads[-1].start()
            wait_until(lambda n=number: gate.waiting() == n + 1)
        threads.append(threading.Thread(target=urgent))
        threads[-1].start()
        wait_until(lambda: gate.waiting() == 3)
    for thread in threads:
        thread.join(10)
    assert order[0] == "urgent"
    assert sorted(order[1:]) == ["first", "second"]
    assert _count(engine) == 4
    assert not gate.held()


def test_an_urgent_writer_that_gives_up_leaves_the_queue_as_it_was(engine):
    gate = write_gate(engine)
    done: list[str] = []

    def ordinary() -> None:
        with write_session(engine) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            done.append("ordinary")

    with write_session(engine) as holder:
        holder.execute(text("INSERT INTO t VALUES (0)"))
        took: list[bool] = []
        impatient = threading.Thread(
            target=lambda: took.append(gate.enter(urgent=True, patience=0.2))
        )
        impatient.start()
        wait_until(lambda: gate.waiting() == 1)
        waiter = threading.Thread(target=ordinary)
        waiter.start()
        wait_until(lambda: gate.waiting() == 2)
        impatient.join(10)  # gave up while the holder is inside
        assert took == [False]
    waiter.join(10)
    assert done == ["ordinary"]
    assert not gate.held()
