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
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

_current: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("turn", default=None)


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


class TurnExecutor(ThreadPoolExecutor):
    """The listener executor: what is submitted during a turn belongs to it.

    Work cancelled before it started (shutdown) never releases its turn: the request stays
    unfinished, and the inbox replays it.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run `fn` on a worker, in the submitter's turn if it has one."""
        turn = _current.get()
        if turn is None:
            return super().submit(fn, *args, **kwargs)
        turn.hold()
        context = contextvars.copy_context()

        def run() -> Any:
            """`fn` in the submitter's context, releasing the turn however it ends."""
            ok = False
            try:
                result = context.run(fn, *args, **kwargs)
                ok = True
                return result
            finally:
                turn.release(ok)

        # Refused (shut down): the turn stays held, the request unfinished, and it is replayed.
        return super().submit(run)
