"""The work gate (issue 16): how much listener work runs at once, apart from the acks.

Bolt runs a listener that acks itself (buttons, commands, modals, shortcuts) on the listener
executor, and the request thread waits for its `ack()`. When the same threads also ran the
work after the ack, a burst of presses queued behind earlier moves and waited for a free
thread before it could even be acked (Little's law: 20 clients, ~28 moves/s, ~0.7 s per ack).
Now the executor starts threads on demand (up to a generous cap), so an ack never waits, and
the work after an ack takes one of a few *slots* of this gate first, and gives it back when it
ends. Waiting for a slot blocks without holding the GIL, so acks and fresh requests go on
being served meanwhile.

- Who takes a slot: a listener, once it has acked (an event at its start: Bolt acked it
  already), and work a listener hands to the executor, when it starts. A thread holds at
  most one slot; what it takes again while holding one costs nothing. What a listener does
  before its ack (a form stored before its modal closes, the list `/escalate list` answers
  with) takes none: the HTTP server's threads, each waiting for one ack, bound it.
- Who gets a freed slot: interactive work first (a modal's trigger_id expires 3 s after the
  press), then events; among them, work that gave its slot back for a while (`idle`, e.g. a
  kick waiting for its delivery pass) before fresh work; then in arrival order.
- `close()` (shutdown with cancel_futures): fresh work waiting for a slot, or asking for one
  later, gets `WorkCancelled` and never starts, so its request stays unfinished and the inbox
  replays it; work that had started and is only coming back from `idle` is let through.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import Any

#: Slots for work after the ack: the cores, plus two for work waiting on Slack or the database.
WORK_SLOTS = max(4, (os.cpu_count() or 2) + 2)
#: While this much acked work waits for a slot, an ack first waits (at most `ACK_PATIENCE`
#: seconds) for the queue to shrink. Under sustained overload acks then slow to the pace the
#: work is done at (Little's law: it must be paid somewhere), instead of every waiting press
#: holding a thread until the executor's cap is reached and the next ack finds no thread at all
#: (Slack's 3 s run out: a failed press). A burst up to this size is acked at once. Kept to
#: about half a second of work (moves run at 30–40/s on 2 cores), because the work after an ack
#: may still have to open a modal within 3 s of the press (the Resolve button's note form):
#: with 64, the full bench's 600 presses left 103 of 200 such modals with an expired trigger.
ACK_BACKLOG = 16
#: How long an ack waits for room; Slack waits 3 s, and work before the ack comes first.
ACK_PATIENCE = 1.5


class Priority(IntEnum):
    """Who gets a freed slot first (lower first)."""

    INTERACTIVE = 0  # a button, command, modal or shortcut: someone is looking
    EVENT = 1  # a reaction or message: nobody waits on the screen


class WorkCancelled(BaseException):  # noqa: N818 - a signal like KeyboardInterrupt, not an error
    """The gate was closed (shutdown) before this work started: it never runs.

    A BaseException so that a handler's `except Exception` does not swallow it.
    """


class _Waiter:
    __slots__ = ("cancelled", "fresh", "granted")

    def __init__(self, fresh: bool) -> None:
        self.fresh = fresh
        self.granted = threading.Event()
        self.cancelled = False


_held = threading.local()


def _holding() -> Slot | None:
    return getattr(_held, "slot", None)


class WorkGate:
    """`slots` slots, handed to waiters by priority, then arrival."""

    def __init__(self, slots: int = WORK_SLOTS) -> None:
        if slots < 1:
            raise ValueError("a work gate needs at least one slot")
        self.slots = slots
        self._free = slots
        self._lock = threading.Lock()
        self._waiting: list[tuple[int, int, int, _Waiter]] = []
        self._arrivals = itertools.count()
        self._closed = False
        self._room = threading.Condition(self._lock)
        self._idle = 0  # work that lent its slot out and will want it back (`idle`)

    def slot(self, priority: Priority) -> Slot:
        """A claim on one slot, not yet taken (see `Slot`)."""
        return Slot(self, priority)

    @property
    def in_use(self) -> int:
        """Slots held now."""
        with self._lock:
            return self.slots - self._free

    @property
    def waiting(self) -> int:
        """Work waiting for a slot now."""
        with self._lock:
            return len(self._waiting)

    def wait_for_room(self, backlog: int = ACK_BACKLOG, patience: float = ACK_PATIENCE) -> bool:
        """Wait (at most `patience` seconds) until fewer than `backlog` pieces of work wait for
        a slot or lent theirs out (each holds a thread); whether there was room (not: the
        caller goes on regardless)."""
        with self._lock:
            return self._room.wait_for(
                lambda: self._closed or len(self._waiting) + self._idle < backlog, patience
            )

    def _lend(self, lent: bool) -> None:
        with self._lock:
            self._idle += 1 if lent else -1
            if not lent:
                self._room.notify()

    def close(self) -> None:
        """Cancel fresh work waiting for a slot and any asked for from now on (shutdown)."""
        with self._lock:
            self._closed = True
            self._room.notify_all()
            kept = [entry for entry in self._waiting if not entry[3].fresh]
            cancelled = [entry[3] for entry in self._waiting if entry[3].fresh]
            self._waiting = kept
            heapq.heapify(self._waiting)
        for waiter in cancelled:
            waiter.cancelled = True
            waiter.granted.set()

    def _take(self, priority: Priority, *, fresh: bool) -> None:
        with self._lock:
            if fresh and self._closed:
                raise WorkCancelled
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return
            waiter = _Waiter(fresh)
            entry = (int(priority), 0 if not fresh else 1, next(self._arrivals), waiter)
            heapq.heappush(self._waiting, entry)
        waiter.granted.wait()
        if waiter.cancelled:
            raise WorkCancelled

    def _give(self) -> None:
        with self._lock:
            if self._waiting:
                waiter = heapq.heappop(self._waiting)[3]
                waiter.granted.set()  # the slot passes straight to it
                self._room.notify()
                return
            self._free += 1


class Slot:
    """One piece of work's claim on a gate: taken once (`take`, e.g. after its ack), given
    back when the work ends (`give`, always safe to call)."""

    def __init__(self, gate: WorkGate, priority: Priority) -> None:
        self.gate = gate
        self.priority = priority
        self._held = False

    @property
    def held(self) -> bool:
        """Whether this claim holds a slot now."""
        return self._held

    def take(self) -> None:
        """Wait for a slot (nothing if taken already, or if this thread holds another one);
        raises WorkCancelled if the gate closed before."""
        if self._held or _holding() is not None:
            return
        self.gate._take(self.priority, fresh=True)
        self._hold()

    def give(self) -> None:
        """Give the slot back, if this claim holds it."""
        if not self._held:
            return
        self._held = False
        _held.slot = None
        self.gate._give()

    def after(self, ack: Callable[..., Any]) -> Callable[..., Any]:
        """`ack` that takes the slot once it has answered Slack (see `AckThenSlot`)."""
        return AckThenSlot(ack, self)

    def _hold(self) -> None:
        self._held = True
        _held.slot = self

    def _resume(self) -> None:
        self.gate._take(self.priority, fresh=False)
        self._hold()


class AckThenSlot:
    """Bolt's `ack`, then the listener's work slot: the answer leaves at once, the work after
    it waits for its turn. Everything else is the wrapped ack's."""

    def __init__(self, ack: Callable[..., Any], slot: Slot) -> None:
        self._ack = ack
        self._slot = slot
        self._started = time.monotonic()  # the listener's start

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Acknowledge (once the backlog has room, or ACK_PATIENCE after the listener began:
        work it did before its ack counts), then wait for a work slot."""
        left = ACK_PATIENCE - (time.monotonic() - self._started)
        if left > 0:
            self._slot.gate.wait_for_room(patience=left)
        answered = self._ack(*args, **kwargs)
        self._slot.take()
        return answered

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ack, name)


@contextmanager
def idle() -> Iterator[None]:
    """Give this thread's slot back while the block waits on something else (a delivery pass),
    and take it again after (before fresh work of its priority). Nothing without a slot."""
    slot = _holding()
    if slot is None:
        yield
        return
    slot.give()
    slot.gate._lend(True)
    try:
        yield
    finally:
        slot.gate._lend(False)
        slot._resume()


def holding() -> Slot | None:
    """The slot this thread holds, if any."""
    return _holding()
