"""Leases kept alive while this process works: one daemon thread renews what is held.

A claimed outbox item (or inbox request) carries a short lease so that, if this process dies,
another takes it over soon. While the work is still going on here, the lease must not run out:
`Renewer.holding(key)` around the work, and the renewer's thread calls `renew(keys)` every
`every` seconds (wall time) for whatever is held. The thread exits when nothing is held.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class Renewer:
    """Renews the leases of the keys held, from one daemon thread started when needed."""

    def __init__(self, renew: Callable[[list], None], *, every: float, name: str) -> None:
        self._renew = renew
        self._every = every
        self._name = name
        self._held: Counter[Hashable] = Counter()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def holding(self, key: Hashable) -> Iterator[None]:
        """Keep `key`'s lease alive for as long as the block runs."""
        self.hold(key)
        try:
            yield
        finally:
            self.release(key)

    def hold(self, key: Hashable) -> None:
        """Start renewing `key` (held as many times as it is released)."""
        with self._lock:
            self._held[key] += 1
            if self._thread is None and not self._stopped.is_set():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def release(self, key: Hashable) -> None:
        """Stop renewing `key` once every hold of it is released."""
        with self._lock:
            self._held[key] -= 1
            if self._held[key] <= 0:
                del self._held[key]

    def held(self) -> list[Hashable]:
        """What is held now."""
        with self._lock:
            return list(self._held)

    def stop(self) -> None:
        """Renew nothing more: leases then run out and others may take the work over."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            with self._lock:
                keys = list(self._held)
                if not keys:
                    self._thread = None
                    return
            try:
                self._renew(keys)
            except Exception as exc:  # the database may be away for a moment: next round
                log.warning("%s: could not renew %d lease(s): %r", self._name, len(keys), exc)
        with self._lock:
            self._thread = None
