"""The outbox: claimed once, retried with backoff, failed for good when told so."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import Session

from slackbot.effects import PermanentFailure, RetryLater
from slackbot.usecases.outbox import Outbox, enqueue
from storage.migrate import upgrade
from storage.models import OutboxItem


def _outbox(database, clock):
    _, engine = database
    upgrade(engine)
    return engine, Outbox(engine, clock)


def _queue(engine, clock, count, kind="k"):
    with Session(engine) as session:
        ids = [
            enqueue(session, kind=kind, payload={"n": n}, now=clock.now()).id for n in range(count)
        ]
        session.commit()
    return ids


def test_two_dispatchers_at_once_perform_each_item_exactly_once(database, clock):
    engine, outbox = _outbox(database, clock)
    second = Outbox(engine, clock)
    performed = []
    lock = threading.Lock()

    def perform(item):
        with lock:
            performed.append(item.payload["n"])

    outbox.register("k", perform)
    second.register("k", perform)
    _queue(engine, clock, 40)
    threads = [threading.Thread(target=o.deliver_due) for o in (outbox, second, outbox, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(performed) == list(range(40))


def test_enqueue_with_the_same_dedup_key_records_one_item(database, clock):
    engine, _ = _outbox(database, clock)
    with Session(engine) as session:
        first = enqueue(session, kind="k", payload={}, now=clock.now(), dedup_key="once").id
        again = enqueue(session, kind="k", payload={}, now=clock.now(), dedup_key="once").id
        session.commit()
    assert first == again


def test_transient_failures_back_off_and_permanent_ones_stop(database, clock):
    engine, outbox = _outbox(database, clock)
    attempts = {"flaky": 0, "broken": 0}
    failed = []

    def flaky(item):
        attempts["flaky"] += 1
        if attempts["flaky"] < 3:
            raise RetryLater("not yet")
        return {"ok": True}

    def broken(item):
        attempts["broken"] += 1
        raise PermanentFailure("never")

    outbox.register("flaky", flaky)
    outbox.register("broken", broken, on_failed=lambda s, item, why: failed.append(why))
    [flaky_id] = _queue(engine, clock, 1, "flaky")
    [broken_id] = _queue(engine, clock, 1, "broken")
    for _ in range(3):
        outbox.deliver_due()
        clock.advance(timedelta(seconds=30))
    outbox.deliver_due()
    with Session(engine) as session:
        assert session.get(OutboxItem, flaky_id).state == "done"
        assert session.get(OutboxItem, flaky_id).attempts == 3
        assert session.get(OutboxItem, broken_id).state == "failed"
    assert attempts == {"flaky": 3, "broken": 1}
    assert failed == ["never"]


def test_an_item_claimed_by_a_process_that_died_is_taken_over_after_its_lease(database, clock):
    engine, outbox = _outbox(database, clock)
    done = []
    outbox.register("k", lambda item: done.append(item.id))
    [item_id] = _queue(engine, clock, 1)
    assert outbox._claim(item_id) is not None  # claimed, then the process "dies"
    outbox.deliver_due()
    assert done == []
    clock.advance(timedelta(minutes=6))
    outbox.deliver_due()
    assert done == [item_id]
