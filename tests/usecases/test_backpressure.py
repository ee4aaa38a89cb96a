"""Bounded under overload: a backlog of events waits in its lanes, not in threads, and acks slow
down once too much acked work waits for a slot (instead of the executor running out of threads
and the next ack finding none: a failed press after Slack's 3 s)."""

from __future__ import annotations

import threading
import time

from slackbot.usecases import turns
from slackbot.usecases.turns import TurnExecutor
from slackbot.usecases.work_gate import Priority, WorkGate, idle
from tests.support.waiting import wait_until


def test_a_backlog_of_lanes_is_drained_by_as_many_threads_as_there_are_slots():
    executor = TurnExecutor(work_slots=2)
    release = threading.Event()
    running, ran = [], []
    lock = threading.Lock()
    peak = [0]

    def task(lane: int, number: int) -> None:
        with lock:
            running.append(lane)
            peak[0] = max(peak[0], len(running))
        release.wait(10)
        with lock:
            running.remove(lane)
            ran.append((lane, number))

    try:
        for number in range(2):
            for lane in range(10):
                turns.route_next(f"lane-{lane}")
                executor.submit(task, lane, number)
        wait_until(lambda: len(running) == 2)
        # Ten lanes with work, two threads: the rest wait in their lanes.
        assert len(executor._threads) == 2
        release.set()
        wait_until(lambda: len(ran) == 20)
    finally:
        release.set()
        executor.shutdown(wait=True)
    assert peak[0] == 2
    for lane in range(10):  # in order within each lane
        assert [n for one, n in ran if one == lane] == [0, 1]
    # Fair between lanes: lane 0 had a second task queued while lanes 2–9 waited for a thread;
    # it went to the back of the queue, after their first tasks.
    assert all(ran.index((0, 1)) > ran.index((lane, 0)) for lane in range(2, 10)), ran


def test_an_ack_waits_for_room_while_the_backlog_is_full_and_goes_on_when_it_shrinks():
    gate = WorkGate(1)
    holder = gate.slot(Priority.INTERACTIVE)
    holder.take()
    waiting = [gate.slot(Priority.INTERACTIVE) for _ in range(3)]
    threads = [threading.Thread(target=slot.take) for slot in waiting]
    for thread in threads:
        thread.start()
    wait_until(lambda: gate.waiting == 3)

    assert gate.wait_for_room(backlog=4, patience=0.01)  # room: at once
    assert not gate.wait_for_room(backlog=3, patience=0.05)  # full: gave up waiting

    answered = []
    ack_thread = threading.Thread(
        target=lambda: answered.append(gate.wait_for_room(backlog=3, patience=10))
    )
    ack_thread.start()
    time.sleep(0.05)
    assert answered == []  # still waiting for room
    holder.give()  # the slot passes to the first waiter: the queue shrinks to 2
    ack_thread.join(10)
    assert answered == [True]

    for slot, thread in zip(waiting, threads, strict=True):
        wait_until(lambda s=slot: s.held)
        slot.give()
        thread.join(10)
    assert gate.in_use == 0


def test_closing_the_gate_frees_acks_waiting_for_room():
    gate = WorkGate(1)
    holder = gate.slot(Priority.INTERACTIVE)
    holder.take()
    waiter = gate.slot(Priority.INTERACTIVE)
    thread = threading.Thread(target=lambda: _take_or_cancelled(waiter))
    thread.start()
    wait_until(lambda: gate.waiting == 1)
    answered = []
    ack_thread = threading.Thread(
        target=lambda: answered.append(gate.wait_for_room(backlog=1, patience=10))
    )
    ack_thread.start()
    time.sleep(0.05)
    gate.close()
    ack_thread.join(10)
    thread.join(10)
    holder.give()  # (a slot is held per thread: leave none to the next test)
    assert answered == [True]


def _take_or_cancelled(slot) -> None:
    try:
        slot.take()
    except BaseException:  # WorkCancelled at close
        return


def test_work_that_lent_its_slot_out_counts_toward_the_backlog():
    gate = WorkGate(1)
    lenders = [gate.slot(Priority.INTERACTIVE) for _ in range(2)]
    inside = threading.Barrier(3)
    back = threading.Event()

    def lend(slot) -> None:
        slot.take()
        with idle():  # e.g. a kick waiting for its delivery pass: no slot, but a thread
            inside.wait(10)
            back.wait(10)
        slot.give()

    threads = [threading.Thread(target=lend, args=(slot,)) for slot in lenders]
    for thread in threads:
        thread.start()
    inside.wait(10)
    assert gate.waiting == 0  # nobody waits for a slot …
    assert not gate.wait_for_room(backlog=2, patience=0.05)  # … but two threads are held
    back.set()
    for thread in threads:
        thread.join(10)
    assert gate.wait_for_room(backlog=2, patience=0.01)
