"""The outbox's lanes: due items of different cases are performed in parallel, those of one case
in order (issue 16).

A delivery pass (`Outbox.deliver_due`, run by the process's deliverer and by the scheduler's
tick) selects what is due and hands each item to the lane of its case: items without a case
share one lane, so reports and DMs keep their order too. A lane's items are performed one at a
time in the order they were handed in (id order within a selection); different lanes run on up
to `workers` daemon threads of the process, which take turns between the lanes that have work,
one item each time. A lane is shared by every pass of the process, so the tick and the
deliverer never perform two items of one case at once; another process may (the claim still
keeps any item from being performed twice; a thread reply waits for its root message as before).

A pass ends once every item it selected has been attempted, so a kick still returns after what
its commit enqueued was tried. While it waits, a kick or a done item that released others makes
it select again, and what it finds then goes out beside the slow item it waits for, instead of
after it. Its rules are those of the serial loop: an item is tried once per pass unless a done
item released it (at most `tries_per_pass` times), and a pass selects at most `limit` items.

A performer that commits and kicks runs on a lane's thread: its kick does not wait for a pass
(the pass waiting for this item selects again), which would wait for this very item.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

log = logging.getLogger(__name__)

#: A lane thread with nothing to do exits after this long.
IDLE_SECONDS = 2.0

#: The lane of the items that belong to no case.
NO_CASE = "no case"

_here = threading.local()


class Outcome(Protocol):
    """What one attempt came to: performed or not, and which items may go again now."""

    performed: bool
    again: list[int]


def on_lane_thread() -> bool:
    """Whether the calling thread is performing an item for a lane."""
    return getattr(_here, "lane", False)


class Pass:
    """One delivery pass: what it has tried and what it waits for."""

    def __init__(self, limit: int, tries_per_pass: int) -> None:
        self.limit = limit
        self.tries_per_pass = tries_per_pass
        self.seen: set[int] = set()
        self.tries: Counter[int] = Counter()
        #: Items it selected that are in a lane (its own or another pass's) and not yet tried.
        self.awaited: set[int] = set()
        self.delivered = 0
        self.error: BaseException | None = None


class Lanes:
    """Runs `perform(item_id)` for the items passes hand in: one lane per case, `workers`
    threads across the lanes."""

    def __init__(
        self,
        perform: Callable[[int], Outcome],
        stopping: threading.Event,
        *,
        workers: int,
        name: str = "outbox",
    ) -> None:
        self.workers = workers
        self._perform = perform
        self._stopping = stopping
        self._name = name
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # lane threads wait here for a ready lane
        self._progress = threading.Condition(self._lock)  # passes, for their items or news
        self._lanes: dict[Any, deque[int]] = {}  # a case's queued items, while it has a lane
        self._ready: deque[Any] = deque()  # lanes with queued items and no thread on them
        self._owner: dict[int, Pass] = {}  # item in a lane (queued or being performed): its pass
        self._threads = 0
        self._idle = 0
        self._performing = 0
        self._news = 0
        self._count = 0

    # -- for passes ------------------------------------------------------------------------
    def news(self) -> int:
        """A counter that moves when a pass should select again (a kick, a released item)."""
        with self._lock:
            return self._news

    def announce(self) -> None:
        """Something may have become due (a commit): waiting passes select again."""
        with self._lock:
            self._news += 1
            self._progress.notify_all()

    def hand_in(self, delivery: Pass, rows: Iterable[tuple[int, int | None]]) -> bool:
        """Queue the selected (id, case id) rows the pass has not tried in their lanes, in the
        order given; False when the pass is over (nothing new, nothing to wait for)."""
        with self._lock:
            if self._stopping.is_set():
                return False
            fresh = 0
            for item_id, case_id in rows:
                if item_id in self._owner:
                    delivery.awaited.add(item_id)  # another pass has it in hand
                    continue
                if item_id in delivery.seen or delivery.error is not None:
                    continue
                delivery.seen.add(item_id)
                delivery.tries[item_id] += 1
                delivery.awaited.add(item_id)
                self._owner[item_id] = delivery
                fresh += 1
                self._queue(NO_CASE if case_id is None else case_id, item_id)
            self._start_threads()
            delivery.awaited &= self._owner.keys()
            return bool(fresh or delivery.awaited)

    def wait(self, delivery: Pass, news: int) -> bool:
        """Wait until the pass's items were tried or there is news since `news`; False when
        the pass is over (all tried and `limit` reached, or stopping)."""
        with self._lock:
            while True:
                delivery.awaited &= self._owner.keys()
                if self._stopping.is_set():
                    return False
                if not delivery.awaited:
                    return len(delivery.seen) < delivery.limit and delivery.error is None
                if self._news != news and len(delivery.seen) < delivery.limit:
                    return True
                self._progress.wait()

    # -- shutdown --------------------------------------------------------------------------
    def stop(self) -> None:
        """Drop what is queued (it stays due in the database); what is being performed ends."""
        with self._lock:
            for key in list(self._lanes):
                for item_id in self._lanes[key]:
                    self._owner.pop(item_id, None)
                self._lanes[key].clear()
            self._ready.clear()
            self._work.notify_all()
            self._progress.notify_all()

    @contextmanager
    def performing_here(self) -> Iterator[None]:
        """Count an item performed outside the lanes (the serial loop), for `drain`."""
        with self._lock:
            self._performing += 1
        try:
            yield
        finally:
            with self._lock:
                self._performing -= 1
                self._progress.notify_all()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until no item is being performed (after stop); False if `timeout` ran out."""
        with self._lock:
            return self._progress.wait_for(lambda: self._performing == 0, timeout)

    # -- the lane threads ------------------------------------------------------------------
    def _queue(self, key: Any, item_id: int) -> None:
        lane = self._lanes.get(key)
        if lane is None:
            self._lanes[key] = deque([item_id])
            self._ready.append(key)
        else:
            # Being performed (its thread readies it again) or ready already.
            lane.append(item_id)

    def _start_threads(self) -> None:
        wanted = min(len(self._ready) - self._idle, self.workers - self._threads)
        for _ in range(wanted):
            self._threads += 1
            self._count += 1
            threading.Thread(
                target=self._run, name=f"{self._name}-lane-{self._count}", daemon=True
            ).start()
        if self._ready and self._idle:
            self._work.notify(len(self._ready))

    def _run(self) -> None:
        _here.lane = True
        key = None
        while True:
            key, item_id, delivery = self._next(key)
            if key is None:
                return  # counted out by _next, under the lock that hands lanes in
            try:
                self._attempt(item_id, delivery)
            except BaseException:
                with self._lock:
                    self._threads -= 1
                raise

    def _next(self, done_key: Any) -> tuple[Any, int, Pass]:
        """Give back the lane just served (to the end of the queue if it has more) and take the
        next ready lane's first item; (None, …) when there was none for IDLE_SECONDS (or after
        stop): the thread ends."""
        with self._lock:
            if done_key is not None:
                if self._lanes.get(done_key):
                    self._ready.append(done_key)
                else:
                    self._lanes.pop(done_key, None)
            idle_until = time.monotonic() + IDLE_SECONDS
            while not self._ready or self._stopping.is_set():
                left = idle_until - time.monotonic()
                if self._stopping.is_set() or left <= 0:
                    self._threads -= 1
                    return None, 0, None  # type: ignore[return-value]
                self._idle += 1
                self._work.wait(left)
                self._idle -= 1
            key = self._ready.popleft()
            if self._ready and self._idle:
                self._work.notify()
            item_id = self._lanes[key].popleft()
            self._performing += 1
            return key, item_id, self._owner[item_id]

    def _attempt(self, item_id: int, delivery: Pass) -> None:
        outcome: Outcome | None = None
        try:
            if not self._stopping.is_set():
                outcome = self._perform(item_id)
        except Exception as exc:  # the pass raises it, as the serial loop did
            delivery.error = delivery.error or exc
        with self._lock:
            self._performing -= 1
            self._owner.pop(item_id, None)
            if outcome is not None:
                delivery.delivered += outcome.performed
                if outcome.again:
                    delivery.seen.difference_update(
                        i for i in outcome.again if delivery.tries[i] < delivery.tries_per_pass
                    )
                    self._news += 1
            self._progress.notify_all()
