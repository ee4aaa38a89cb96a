"""A turn: the handling of one recorded Slack request, from its listener to the last piece of
work that listener handed on.

The inbox (slackbot.usecases.inbox) opens a turn around a listener. Work the listener submits
to the listener executor (`/escalate move` answers first, then moves) belongs to the same turn:
`TurnExecutor` carries the turn into it, and the turn ends when the listener and all of that
work have ended. Then the request is marked done.

A request whose use case does not know it was applied already (interactivity and commands,
unlike events, which their use cases claim by event id) must not be replayed once its change is
committed. So when such a turn's work says it committed (`committed()`, which the outbox's
`kick()` calls before it delivers) the request is marked done there and then: a crash while
its effects are posted to Slack leaves them to the outbox and never replays the request.

Events for one message are applied in the order Slack sent them: the inbox's middleware names
the request's lane (`route_next`, its message: see `slackbot.usecases.inbox.order_key`) in the
thread that dispatches it, and the executor runs what is submitted next from that thread (Bolt's
listener) after everything submitted earlier in the same lane, on one worker at a time; other
lanes and unrouted work run in parallel as before. Bolt submits an event's listener right after
its ack and before the answer leaves, so the lane's order is the order Slack was answered in.

The executor's threads only ever wait for work, never for each other's: it starts threads on
demand up to a generous cap (`LISTENER_THREADS`), so a listener's ack never waits for a free
thread, and the work after acks shares the few slots of its `WorkGate`
(slackbot.usecases.work_gate). A listener takes its slot once it has acked (slackbot.app's
`tracked`); work handed on during a turn takes one when it starts.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slackbot.usecases.work_gate import WORK_SLOTS, Priority, WorkCancelled, WorkGate, holding

log = logging.getLogger(__name__)

_current: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("turn", default=None)
#: The lane of the next submission from this thread (set by the inbox middleware, taken by it).
_route: contextvars.ContextVar[str | None] = contextvars.ContextVar("route", default=None)


class Turn:
    """One request's handling: open while its listener or work it handed on is running."""

    def __init__(self, key: str, finish: Callable[[bool], None], *, done_when_committed: bool):
        self.key = key
        self._finish = finish
        self._done_when_committed = done_when_committed
        self._finished = False
        self._open = 1
        self._ok = True
        self._lock = threading.Lock()

    def hold(self) -> None:
        """One more piece of work belongs to the turn."""
        with self._lock:
            self._open += 1

    def release(self, ok: bool) -> None:
        """A piece of work ended (`ok`: without an error); the last one finishes the turn."""
        with self._lock:
            self._ok = self._ok and ok
            self._open -= 1
            if self._open > 0:
                return
        self._finish_once(self._ok)

    def committed(self) -> None:
        """The turn's change is committed and only its delivery is left: a request that must
        not be replayed from here on is done now."""
        if self._done_when_committed:
            self._finish_once(True)

    def _finish_once(self, ok: bool) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
        try:
            self._finish(ok)
        except Exception:
            log.exception("could not finish the turn of %s", self.key)


def current() -> Turn | None:
    """The turn this thread works for, if any."""
    return _current.get()


def enter(turn: Turn) -> contextvars.Token:
    """Make `turn` this thread's (until `leave`)."""
    return _current.set(turn)


def leave(token: contextvars.Token) -> None:
    """Undo `enter`."""
    _current.reset(token)


def committed() -> None:
    """The current turn's change is committed (see `Turn.committed`); nothing outside a turn."""
    turn = _current.get()
    if turn is not None:
        turn.committed()


def route_next(lane: str | None) -> None:
    """The next submission to the listener executor from this thread runs in `lane` (None: in
    none); the middleware sets it for every request it sees, so nothing stale is left."""
    _route.set(lane)


#: The listener executor's threads, started on demand: enough that an ack never waits for one.
#: The work gate bounds the work; most threads beyond its slots are blocked (on a slot, or in a
#: kick waiting for its delivery pass: 65 forms submitted at once kept 65 of them), and such a
#: thread costs little more than its stack. The cap only bounds a runaway.
LISTENER_THREADS = 256


class TurnExecutor(ThreadPoolExecutor):
    """The listener executor: what is submitted during a turn belongs to it; a routed
    submission runs after the earlier ones of its lane (see the module's docstring).

    Work cancelled before it started (shutdown) never releases its turn: the request stays
    unfinished, and the inbox replays it. That includes work that was waiting for a work slot
    (`shutdown(cancel_futures=True)` closes the gate).
    """

    def __init__(
        self,
        max_workers: int | None = LISTENER_THREADS,
        *args: Any,
        work_slots: int = WORK_SLOTS,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_workers, *args, **kwargs)
        #: The slots work takes after its ack (slackbot.usecases.work_gate).
        self.gate = WorkGate(work_slots)
        self._lanes: dict[str, deque[tuple[Future, Callable[[], Any]]]] = {}
        #: Lanes with work and no drainer on them, in the order they became ready.
        self._ready: deque[str] = deque()
        #: Threads draining lanes: at most one per work slot (each task takes a slot anyway), so
        #: a backlog of events waits in the lanes, not in threads.
        self._drainers = 0
        self._lanes_lock = threading.Lock()
        self._closing = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run `fn` on a worker, in the submitter's turn if it has one (in its lane if routed)."""
        lane = _route.get()
        if lane is not None:
            _route.set(None)
            return self._in_lane(lane, self._in_turn(fn, args, kwargs))
        turn = _current.get()
        if turn is None:
            return super().submit(fn, *args, **kwargs)
        return super().submit(self._in_turn(fn, args, kwargs))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """As ThreadPoolExecutor's: nothing new is taken; with `cancel_futures` what waits in a
        lane is cancelled too (it never starts), else the lanes run out as the pool's queue does."""
        cancelled: list[Future] = []
        with self._lanes_lock:
            self._closing = True
            if cancel_futures:
                for queued in self._lanes.values():
                    cancelled.extend(future for future, _ in queued)
                    queued.clear()
                self._ready.clear()
        for future in cancelled:
            future.cancel()
        if cancel_futures:
            self.gate.close()
        super().shutdown(wait=wait, cancel_futures=cancel_futures)

    def _in_lane(self, lane: str, task: Callable[[], Any]) -> Future:
        """Queue `task` in `lane`; a lane that was idle becomes ready, and a drainer is started
        for it if fewer than the gate's slots are running."""
        future: Future = Future()
        with self._lanes_lock:
            if self._closing:
                raise RuntimeError("cannot schedule new futures after shutdown")
            queued = self._lanes.get(lane)
            if queued is not None:  # ready or being drained: it is taken in its turn
                queued.append((future, task))
                return future
            self._lanes[lane] = deque([(future, task)])
            self._ready.append(lane)
            if self._drainers >= self.gate.slots:
                return future  # a running drainer takes it
            self._drainers += 1
        try:
            super().submit(self._drain)
        except RuntimeError:
            with self._lanes_lock:
                self._drainers -= 1
            raise
        return future

    def _drain(self) -> None:
        """Run ready lanes' tasks, one task of a lane at a time (a lane with more goes to the
        back of the ready queue: in order within a lane, fair between lanes), until none is
        ready."""
        while True:
            with self._lanes_lock:
                if not self._ready:
                    self._drainers -= 1
                    return
                lane = self._ready.popleft()
                queued = self._lanes[lane]
                future, task = queued.popleft() if queued else (None, None)
            if future is not None and future.set_running_or_notify_cancel():
                try:
                    future.set_result(task())
                except BaseException as exc:  # the task's own error, kept in its future
                    future.set_exception(exc)
            with self._lanes_lock:
                if self._lanes[lane]:
                    self._ready.append(lane)
                else:
                    del self._lanes[lane]

    def _in_turn(
        self, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]
    ) -> Callable[[], Any]:
        """`fn(*args, **kwargs)` as a task, in the submitter's turn if it has one (and then in
        a work slot of the submitter's priority)."""
        turn = _current.get()
        if turn is None:
            return lambda: fn(*args, **kwargs)
        turn.hold()
        context = contextvars.copy_context()
        held = holding()
        slot = self.gate.slot(held.priority if held is not None else Priority.INTERACTIVE)

        def run() -> Any:
            """`fn` in the submitter's context and a work slot, releasing the turn however it
            ends (not when shutdown cancelled it before it started: it is replayed)."""
            try:
                slot.take()
            except WorkCancelled:
                log.info("work of %s cancelled at shutdown before it started", turn.key)
                return None
            ok = False
            try:
                result = context.run(fn, *args, **kwargs)
                ok = True
                return result
            finally:
                try:
                    turn.release(ok)  # its done mark is a write: in the slot too
                finally:
                    slot.give()

        # Refused (shut down): the turn stays held, the request unfinished, and it is replayed.
        return run
