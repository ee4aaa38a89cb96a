"""The work gate (issue 16): acks never wait for a slot, slots go to interactive work first and
come back however the work ends, shutdown cancels only work that had not started, lanes keep
their order, and a kick waiting for its delivery pass lends its slot out meanwhile."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import pytest

from slackbot.app import _run_in_slot
from slackbot.usecases.outbox_deliverer import Deliverer
from slackbot.usecases.turns import Turn, TurnExecutor, enter, leave, route_next
from slackbot.usecases.work_gate import Priority, WorkCancelled, WorkGate, holding, idle
from tests.support.waiting import wait_until

WAIT = 10.0


def _thread(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_a_freed_slot_goes_to_interactive_work_first_then_in_arrival_order():
    gate = WorkGate(1)
    mine = gate.slot(Priority.INTERACTIVE)
    mine.take()
    order: list[str] = []

    def work(name: str, priority: Priority):
        def run() -> None:
            slot = gate.slot(priority)
            slot.take()
            order.append(name)
            slot.give()

        return run

    threads = []
    for n, (name, priority) in enumerate(
        [("event 1", Priority.EVENT), ("event 2", Priority.EVENT), ("press", Priority.INTERACTIVE)]
    ):
        threads.append(_thread(work(name, priority)))
        wait_until(lambda n=n: gate.waiting == n + 1, WAIT, f"{name} waiting")
    mine.give()
    for thread in threads:
        thread.join(WAIT)
    assert order == ["press", "event 1", "event 2"]
    assert gate.in_use == 0


def test_the_ack_is_answered_before_the_slot_is_free_and_the_slot_comes_back_on_error():
    gate = WorkGate(1)
    busy = gate.slot(Priority.INTERACTIVE)
    busy.take()
    said: list[str] = []
    finished: list[bool] = []
    turn = Turn("k", finished.append, done_when_committed=True)

    def handler(ack) -> None:
        ack()
        said.append("working")
        raise ValueError("the move failed")

    def listener() -> None:
        with pytest.raises(ValueError):
            _run_in_slot(
                handler,
                {"ack": lambda: said.append("acked")},
                gate.slot(Priority.INTERACTIVE),
                turn,
            )

    thread = _thread(listener)
    wait_until(lambda: gate.waiting == 1, WAIT, "the listener waiting for a slot")
    assert said == ["acked"]  # answered; its work waits
    busy.give()
    thread.join(WAIT)
    assert said == ["acked", "working"]
    assert finished == [False]
    assert (gate.in_use, gate.waiting) == (0, 0)


def test_work_waiting_for_a_slot_is_cancelled_at_shutdown_and_its_request_stays_unfinished():
    executor = TurnExecutor(max_workers=4, work_slots=1)
    finished: list[bool] = []
    ran: list[str] = []
    release = threading.Event()
    turn = Turn("k", finished.append, done_when_committed=False)
    token = enter(turn)
    try:
        first = executor.submit(lambda: release.wait(WAIT) and ran.append("first"))
        wait_until(lambda: executor.gate.in_use == 1, WAIT, "the first piece of work in its slot")
        second = executor.submit(lambda: ran.append("second"))
    finally:
        leave(token)
    turn.release(True)  # the listener returned; the work it handed on has not
    wait_until(
        lambda: executor.gate.waiting == 1, WAIT, "the second piece of work waiting for a slot"
    )
    executor.shutdown(wait=False, cancel_futures=True)
    release.set()
    first.result(WAIT)
    second.result(WAIT)
    executor.shutdown(wait=True)
    assert ran == ["first"]
    assert finished == []  # the inbox replays it
    assert executor.gate.in_use == 0
    with pytest.raises(WorkCancelled):
        executor.gate.slot(Priority.EVENT).take()


def test_shutdown_without_cancel_lets_waiting_work_run():
    executor = TurnExecutor(max_workers=4, work_slots=1)
    finished: list[bool] = []
    release = threading.Event()
    turn = Turn("k", finished.append, done_when_committed=False)
    token = enter(turn)
    try:
        executor.submit(release.wait, WAIT)
        wait_until(lambda: executor.gate.in_use == 1, WAIT, "the first piece of work in its slot")
        executor.submit(lambda: None)
    finally:
        leave(token)
    turn.release(True)
    wait_until(
        lambda: executor.gate.waiting == 1, WAIT, "the second piece of work waiting for a slot"
    )
    executor.shutdown(wait=False)
    release.set()
    executor.shutdown(wait=True)
    assert finished == [True]


def test_work_back_from_idle_passes_a_closed_gate_and_fresh_work_does_not():
    gate = WorkGate(1)
    lent = threading.Event()
    back = threading.Event()
    came_back: list[bool] = []

    def working() -> None:
        slot = gate.slot(Priority.EVENT)
        slot.take()
        with idle():
            lent.set()
            back.wait(WAIT)
        came_back.append(holding() is slot)
        slot.give()

    thread = _thread(working)
    assert lent.wait(WAIT)
    other = gate.slot(Priority.INTERACTIVE)
    other.take()  # the idle slot was lent out
    gate.close()
    back.set()
    wait_until(lambda: gate.waiting == 1, WAIT, "the idle work waiting to take its slot back")
    other.give()
    thread.join(WAIT)
    assert came_back == [True]
    with pytest.raises(WorkCancelled):
        gate.slot(Priority.INTERACTIVE).take()


def test_a_kick_lends_its_slot_out_while_it_waits_for_the_pass():
    gate = WorkGate(1)
    passing = threading.Event()
    go = threading.Event()
    deliverer = Deliverer(lambda: passing.set() or go.wait(WAIT), threading.Event(), name="lend")
    said: list[str] = []

    def listener() -> None:
        slot = gate.slot(Priority.INTERACTIVE)
        slot.take()
        deliverer.kick()
        said.append("kick returned")
        slot.give()

    def other() -> None:
        slot = gate.slot(Priority.INTERACTIVE)
        slot.take()
        said.append("other worked")
        slot.give()

    first = _thread(listener)
    assert passing.wait(WAIT)
    second = _thread(other)
    second.join(WAIT)
    # The other listener got the slot while the kick still waited for its pass.
    assert said == ["other worked"]
    go.set()
    first.join(WAIT)
    assert said == ["other worked", "kick returned"]
    assert gate.in_use == 0


def test_lanes_keep_their_order_through_one_slot():
    executor = TurnExecutor(max_workers=8, work_slots=1)
    ran: dict[str, list[int]] = defaultdict(list)
    running = [0, 0]  # now, most
    lock = threading.Lock()
    turn = Turn("k", lambda ok: None, done_when_committed=False)

    def task(lane: str, n: int):
        def run() -> None:
            with lock:
                running[0] += 1
                running[1] = max(running)
            time.sleep(0.001)
            with lock:
                ran[lane].append(n)
                running[0] -= 1

        return run

    token = enter(turn)
    try:
        futures = []
        for n in range(10):
            for lane in "abc":
                route_next(lane)
                futures.append(executor.submit(task(lane, n)))
    finally:
        leave(token)
    for future in futures:
        future.result(WAIT)
    executor.shutdown(wait=True)
    assert dict(ran) == {lane: list(range(10)) for lane in "abc"}
    assert running[1] == 1  # one slot: one piece of work at a time
