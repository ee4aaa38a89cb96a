"""The listener executor's lanes (issue 16): what is routed to one lane runs one at a time, in
the order it was submitted; different lanes and unrouted work run in parallel."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from slackbot.usecases.inbox import order_key
from slackbot.usecases.turns import TurnExecutor, route_next


def _routed(executor: TurnExecutor, lane: str | None, fn):
    route_next(lane)
    return executor.submit(fn)


def test_one_lane_runs_in_submission_order_one_at_a_time_while_lanes_overlap():
    executor = TurnExecutor(max_workers=4)
    ran: dict[str, list[int]] = defaultdict(list)
    running: dict[str, int] = defaultdict(int)
    most: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    # The first task of each of two lanes waits for the other's: only parallel lanes pass it.
    both_started = threading.Barrier(2, timeout=10)

    def task(lane: str, n: int):
        def run() -> int:
            with lock:
                running[lane] += 1
                most[lane] = max(most[lane], running[lane])
            if n == 0 and lane in ("a", "b"):
                both_started.wait()
            time.sleep(0.002)
            with lock:
                ran[lane].append(n)
                running[lane] -= 1
            return n

        return run

    futures = [
        _routed(executor, lane, task(lane, n)) for n in range(15) for lane in ("a", "b", "c")
    ]
    assert [future.result(timeout=30) for future in futures] == [
        n for n in range(15) for _ in "abc"
    ]
    executor.shutdown(wait=True)
    assert {lane: ran[lane] for lane in "abc"} == {lane: list(range(15)) for lane in "abc"}
    assert dict(most) == {"a": 1, "b": 1, "c": 1}


def test_the_route_is_for_one_submission_and_unrouted_work_is_not_held_up():
    executor = TurnExecutor(max_workers=2)
    release = threading.Event()
    blocked = _routed(executor, "a", lambda: release.wait(10))
    # The thread's route was taken by that submission: this one runs beside it, not after it.
    free = executor.submit(lambda: "free")
    assert free.result(timeout=10) == "free"
    assert not blocked.done()
    release.set()
    assert blocked.result(timeout=10) is True
    executor.shutdown(wait=True)


def test_shutdown_with_cancel_cancels_what_waits_in_a_lane():
    executor = TurnExecutor(max_workers=2)
    release = threading.Event()
    ran: list[str] = []
    first = _routed(executor, "a", lambda: release.wait(10) and ran.append("first"))
    waiting = [_routed(executor, "a", lambda n=n: ran.append(f"then {n}")) for n in range(3)]
    time.sleep(0.05)
    executor.shutdown(wait=False, cancel_futures=True)
    release.set()
    first.result(timeout=10)
    assert all(future.cancelled() for future in waiting)
    assert ran == ["first"]


def test_reactions_are_routed_by_their_message_and_nothing_else_is():
    def event(kind: str, **item: str) -> dict:
        return {"type": "event_callback", "event": {"type": kind, "item": item}}

    on_root = event("reaction_added", type="message", channel="C1", ts="1.1")
    assert order_key(on_root) == "message:C1:1.1"
    assert order_key(event("reaction_removed", channel="C1", ts="1.1")) == "message:C1:1.1"
    assert order_key(event("reaction_added", channel="C1", ts="2.2")) == "message:C1:2.2"
    assert order_key(event("message")) is None
    assert order_key({"type": "block_actions", "actions": []}) is None
    assert order_key({"command": "/escalate", "text": "list"}) is None
