"""One deliverer per process (issue 16): kicks that come in while a pass runs share the next
pass, each kick returns only after a pass that began after it, and a kick from the deliverer
itself asks for another pass instead of waiting on itself."""

from __future__ import annotations

import threading
import time

from slackbot.usecases.outbox_deliverer import Deliverer


def test_kicks_during_a_pass_share_the_next_one_and_each_waits_for_a_later_pass():
    stopping = threading.Event()
    passes: list[str] = []
    started = threading.Event()
    release = threading.Event()

    def deliver() -> None:
        passes.append(threading.current_thread().name)
        if len(passes) == 1:
            started.set()
            release.wait(10)

    deliverer = Deliverer(deliver, stopping, name="test")
    first = threading.Thread(target=deliverer.kick)
    first.start()
    assert started.wait(10)
    returned: list[int] = []

    def kick() -> None:
        deliverer.kick()
        returned.append(len(passes))

    kickers = [threading.Thread(target=kick) for _ in range(10)]
    for thread in kickers:
        thread.start()
    deadline = time.monotonic() + 10
    while deliverer._asked < 11 and time.monotonic() < deadline:  # all ten are waiting
        time.sleep(0.01)
    release.set()
    for thread in [first, *kickers]:
        thread.join(10)
    # Ten kicks during the first pass: one more pass for all of them, on the deliverer's thread.
    assert passes == ["test-deliverer", "test-deliverer"]
    assert returned == [2] * 10


def test_a_kick_from_the_deliverer_asks_for_another_pass():
    stopping = threading.Event()
    passes: list[str] = []
    deliverer: Deliverer

    def deliver() -> None:
        passes.append(threading.current_thread().name)
        if len(passes) < 3:
            deliverer.kick()  # would wait on itself for ever if it waited

    deliverer = Deliverer(deliver, stopping, name="reentrant")
    deliverer.kick()
    deadline = time.monotonic() + 10
    while len(passes) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert passes == ["reentrant-deliverer"] * 3


def test_after_stop_a_kick_returns_at_once():
    stopping = threading.Event()
    stopping.set()
    passes: list[int] = []
    deliverer = Deliverer(lambda: passes.append(1), stopping)
    done = threading.Thread(target=deliverer.kick)
    done.start()
    done.join(5)
    assert not done.is_alive() and passes == []
