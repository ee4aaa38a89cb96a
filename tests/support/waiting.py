"""Waiting in tests for something another thread does (never a timing assertion: only a bound
on how long to wait before the test fails)."""

from __future__ import annotations

import time


def wait_until(check, timeout: float = 5.0, what: str = "condition not met in time"):
    """Poll `check` until it returns something true, and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.005)
