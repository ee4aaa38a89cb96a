"""The outbox: claimed once, retried with backoff, failed for good when told so; short leases
renewed while performing, waiters released when what they wait for is done, the done-mark
through a database blip, uncertain attempts marked."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from slackbot.domain.clock import ensure_utc
from slackbot.effects import PermanentFailure, RetryLater
from slackbot.usecases import outbox as outbox_module
from slackbot.usecases.outbox import Outbox, enqueue, may_have_happened
from slackbot.usecases.outbox_waits import release_waiters
from storage.migrate import upgrade
from storage.models import OutboxItem
from tests.support.cases import Seeder
from tests.support.waiting import wait_until


def _outbox(database, clock):
    _, engine = database
    upgrade(engine)
    return engine, Outbox(engine, clock)


def _queue(engine, clock, count, kind="k", case_id=None, key=None):
    with Session(engine) as session:
        ids = [
            enqueue(
                session,
                kind=kind,
                payload={"n": n},
                now=clock.now(),
                case_id=case_id,
                dedup_key=key and f"{key}:{n}",
            ).id
            for n in range(count)
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


def test_a_lease_is_30_seconds_and_an_item_taken_over_is_marked_uncertain(database, clock):
    engine, outbox = _outbox(database, clock)
    seen = []
    outbox.register("k", lambda item: seen.append(may_have_happened(item)))
    [item_id] = _queue(engine, clock, 1)
    assert outbox._claim(item_id) is not None  # claimed, then the process "dies"
    clock.advance(timedelta(seconds=29))
    outbox.deliver_due()
    assert seen == []
    clock.advance(timedelta(seconds=2))
    outbox.deliver_due()
    assert seen == [True]  # the first attempt may have reached the other side


def test_the_lease_is_renewed_while_performing_so_nobody_takes_it_over(
    database, clock, monkeypatch
):
    monkeypatch.setattr(outbox_module, "RENEW_EVERY", 0.05)
    engine, outbox = _outbox(database, clock)
    other = Outbox(engine, clock)
    performing, finish = threading.Event(), threading.Event()
    performed = []

    def slow(item):
        performed.append(item.id)
        performing.set()
        finish.wait(10)

    outbox.register("k", slow)
    other.register("k", slow)
    [item_id] = _queue(engine, clock, 1)
    worker = threading.Thread(target=outbox.deliver_due)
    worker.start()
    assert performing.wait(5)
    first_lease = _row(engine, item_id).lease_until
    for _ in range(3):  # 90 s of the clock pass while Slack is slow; the lease keeps up
        clock.advance(timedelta(seconds=30))
        wait_until(lambda before=first_lease: _row(engine, item_id).lease_until > before)
        first_lease = _row(engine, item_id).lease_until
        other.deliver_due()
    finish.set()
    worker.join(5)
    assert performed == [item_id]
    assert _row(engine, item_id).state == "done"


def test_a_reply_waiting_for_its_root_goes_out_when_the_root_is_done_not_at_the_next_tick(
    database, clock
):
    engine, outbox = _outbox(database, clock)
    case_id = _case(engine, clock)
    root_started, root_may_finish = threading.Event(), threading.Event()
    root_posted = threading.Event()
    replies = []

    def root(item):
        root_started.set()
        root_may_finish.wait(10)
        root_posted.set()

    def reply(item):
        if not root_posted.is_set():
            raise RetryLater("waiting for the root message", timedelta(hours=1), count=False)
        replies.append(item.id)

    other = Outbox(engine, clock)
    for box in (outbox, other):
        box.register("root", root)
        box.register("reply", reply)
    _queue(engine, clock, 1, "root", case_id=case_id, key="root-post")  # keyed, as a root post
    [reply_id] = _queue(engine, clock, 1, "reply", case_id=case_id)
    poster = threading.Thread(target=outbox.deliver_due)
    poster.start()
    assert root_started.wait(5)
    other.deliver_due()  # another thread tries the reply: it waits
    assert replies == [] and _row(engine, reply_id).last_error.startswith("waiting: ")
    root_may_finish.set()
    poster.join(5)
    assert replies == [reply_id]  # in the same pass as the root, the clock never moved
    assert _row(engine, reply_id).state == "done"


def test_a_reply_whose_root_was_done_while_it_checked_is_not_left_for_the_next_tick(
    database, clock
):
    engine, outbox = _outbox(database, clock)
    case_id = _case(engine, clock)
    root_side = Outbox(engine, clock)
    root_side.register("root", lambda item: None)
    [root_id] = _queue(engine, clock, 1, "root", case_id=case_id, key="root-post")
    [reply_id] = _queue(engine, clock, 1, "reply", case_id=case_id)
    root = root_side._claim(root_id)  # the root is being posted elsewhere
    tries = []

    def reply(item):
        tries.append(item.id)
        if len(tries) > 1:
            return
        # The root is done, and its waiters released, after this reply looked for the root
        # and before it is marked waiting: that release finds nothing to release.
        root_side._done(root, {}, root_side._handlers["root"])
        assert release_waiters(engine, root, clock.now()) == []
        raise RetryLater("waiting for the root message", timedelta(hours=1), count=False)

    outbox.register("reply", reply)
    outbox.deliver_due()
    assert tries == [reply_id, reply_id]  # tried again at once, the clock never moved
    assert _row(engine, reply_id).state == "done"


def test_the_done_mark_survives_a_database_blip_and_the_effect_is_not_performed_again(
    database, clock
):
    engine, outbox = _outbox(database, clock)
    performed = []
    outbox.register("k", lambda item: performed.append(item.id) or {"sent": True})
    [item_id] = _queue(engine, clock, 1)
    refusals = _refuse_outbox_updates(engine, times=4)
    outbox.deliver_due()
    assert refusals["left"] == 0  # the database refused four times
    assert performed == [item_id]
    row = _row(engine, item_id)
    assert (row.state, row.result) == ("done", {"sent": True})
    clock.advance(timedelta(minutes=10))
    outbox.deliver_due()
    assert performed == [item_id]


def test_an_attempt_that_ends_without_saying_marks_the_item_uncertain(database, clock):
    engine, outbox = _outbox(database, clock)
    seen = []

    def flaky(item):
        seen.append(may_have_happened(item))
        if len(seen) == 1:
            raise RetryLater("ratelimited")  # said so: it did not happen
        if len(seen) == 2:
            raise TimeoutError("The read operation timed out")  # nobody knows

    outbox.register("k", flaky)
    _queue(engine, clock, 1)
    for _ in range(3):
        outbox.deliver_due()
        clock.advance(timedelta(minutes=1))
    assert seen == [False, False, True]


def test_stop_claims_nothing_more(database, clock):
    engine, outbox = _outbox(database, clock)
    performed = []
    outbox.register("k", lambda item: performed.append(item.id))
    _queue(engine, clock, 3)
    outbox.stop()
    assert outbox.deliver_due() == 0
    outbox.kick()
    assert performed == []


def _row(engine, item_id) -> OutboxItem:
    with Session(engine) as session:
        row = session.get(OutboxItem, item_id)
        row.lease_until = row.lease_until and ensure_utc(row.lease_until)
        return row


def _case(engine, clock) -> int:
    with Session(engine) as session:
        case = Seeder(session).case(clock.now())
        session.commit()
        return case.id


def _refuse_outbox_updates(engine, *, times: int) -> dict[str, int]:
    """The database refuses the next `times` UPDATEs of the outbox (a blip), then answers."""
    left = {"left": times}

    def refuse(conn, cursor, statement, parameters, context, executemany):
        # The done mark sets done_at (a claim's RETURNING only names it).
        sets = statement.split("RETURNING")[0]
        marks_done = statement.lstrip().startswith("UPDATE outbox") and "done_at" in sets
        if marks_done and left["left"]:
            left["left"] -= 1
            raise OperationalError(statement, parameters, ConnectionError("server went away"))

    event.listen(engine, "before_cursor_execute", refuse)
    return left


def test_a_permanent_failure_is_logged_without_the_addresses_its_reason_quotes(
    database, clock, caplog
):
    engine, outbox = _outbox(database, clock)

    def refused(item):
        raise PermanentFailure("550 5.1.1 <pat@clinic.example.com>: recipient rejected")

    outbox.register("refused", refused)
    [item_id] = _queue(engine, clock, 1, "refused")
    with caplog.at_level("WARNING", logger="slackbot"):
        outbox.deliver_due()
    with Session(engine) as session:
        assert session.get(OutboxItem, item_id).state == "failed"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "failed for good: 550 5.1.1" in logged
    assert "pat@clinic.example.com" not in logged
