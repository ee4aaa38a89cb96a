"""One outbox deliverer per process, woken by commits (issue 16).

Every listener used to run `deliver_due()` itself after its commit, so under load eight threads
raced to claim the same items (a claim UPDATE each, most of them finding the item taken). Now a
commit's `kick()` wakes one thread that runs the delivery passes, and the kicks that arrive while
it runs are coalesced into its next pass. A kick still returns only once a pass that began after
it has ended, so what its commit enqueued has been attempted when it returns, as before; a kick
from the deliverer itself (a performer's use case that commits) only asks for another pass. The
scheduler's tick stays the safety net. The thread exits after a few idle seconds and is started
again by the next kick.

A kick from a listener gives its work slot back while it waits for the pass and takes it again
after (slackbot.usecases.work_gate): a wait on Slack's answers to other work holds no slot, so
other listeners' work goes on meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slackbot.usecases.work_gate import idle

log = logging.getLogger(__name__)

#: The deliverer thread exits after this long without a kick.
IDLE_SECONDS = 5.0
#: How often a waiting kick looks whether the deliverer was stopped or died.
CHECK_SECONDS = 1.0


class Deliverer:
    """Runs `deliver` passes on one thread: a pass for every batch of kicks that came in."""

    def __init__(
        self, deliver: Callable[[], object], stopping: threading.Event, name: str = "outbox"
    ) -> None:
        self._deliver = deliver
        self._stopping = stopping
        self._name = name
        self._cv = threading.Condition()
        self._asked = 0  # kicks so far
        self._begun = 0  # the kicks the current (or last) pass answers
        self._ended = 0  # the kicks the last finished pass answered
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        """Ask for a pass; return when one that began after this call has ended (or at once,
        from the deliverer itself or after stop)."""
        with self._cv:
            self._asked += 1
            ticket = self._asked
            if threading.current_thread() is self._thread:
                return  # the loop goes round again for it
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name=f"{self._name}-deliverer", daemon=True
                )
                self._thread.start()
            self._cv.notify_all()
        # Not under the lock: taking the slot back may wait, and the deliverer needs the lock.
        with idle():
            self._wait_for(ticket)

    def _wait_for(self, ticket: int) -> None:
        with self._cv:
            while self._ended < ticket and not self._stopping.is_set():
                thread = self._thread
                if thread is None or not thread.is_alive():
                    break  # it exited (stop); the tick delivers
                self._cv.wait(CHECK_SECONDS)

    def wake(self) -> None:
        """Wake everyone waiting (after stop)."""
        with self._cv:
            self._cv.notify_all()

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._begun >= self._asked and not self._stopping.is_set():
                    if not self._cv.wait(IDLE_SECONDS) and self._begun >= self._asked:
                        self._thread = None
                        return
                if self._stopping.is_set():
                    self._thread = None
                    self._cv.notify_all()
                    return
                self._begun = target = self._asked
            try:
                self._deliver()
            except Exception:
                log.exception("outbox delivery failed; the scheduler will retry")
            with self._cv:
                self._ended = target
                self._cv.notify_all()
