"""Signed Slack requests built as the test suite builds them, and a keep-alive load generator.

Requests are built (and signed) before a phase starts, so the clients measure only the server:
each of the concurrent clients keeps one HTTP/1.1 connection open and times every request from
sending it to having read the whole answer.
"""

from __future__ import annotations

import http.client
import itertools
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from slackbot.devtools.signed import SlackSender

EVENTS_PATH = "/slack/events"


@dataclass(frozen=True)
class Prepared:
    """One signed request, ready to send."""

    body: bytes
    headers: dict[str, str]


class RequestBuilder(SlackSender):
    """The suite's SlackSender, except that `post` returns the signed request instead of sending
    it: slash commands, interactivity payloads and event envelopes are shaped exactly as there."""

    def __init__(self, signing_secret: str) -> None:
        super().__init__("", signing_secret)

    def post(  # type: ignore[override]
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Prepared:
        """The request SlackSender.post would send, signed the same way."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature or self.verifier.generate_signature(timestamp=ts, body=body)
        return Prepared(
            body.encode(),
            {
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sig,
                **(headers or {}),
            },
        )


@dataclass
class LoadResult:
    """Client-side latencies (seconds) and answers of one phase."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    elapsed: float = 0.0
    #: The server's CPU time per request, work after the answer included (set by the caller).
    cpu_ms: float = math.nan

    def percentile(self, q: float) -> float:
        """The nearest-rank q-th percentile (0 < q ≤ 100), in seconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]

    @property
    def failed(self) -> int:
        """Requests that did not get a 200."""
        return self.errors + sum(n for status, n in self.statuses.items() if status != 200)


def send_one(port: int, request: Prepared, path: str = EVENTS_PATH) -> tuple[int, str]:
    """Send one request on a connection of its own; (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def run_load(
    port: int,
    requests: list[Prepared] | list[tuple[Prepared, ...]],
    *,
    clients: int = 20,
    path: str = EVENTS_PATH,
) -> LoadResult:
    """Send `requests` from `clients` concurrent keep-alive clients; every latency and answer.

    An item that is a tuple of requests is sent in order by one client (a person reacting twice
    on one message); the items themselves go out concurrently.
    """
    units = [item if isinstance(item, tuple) else (item,) for item in requests]
    result = LoadResult()
    lock = threading.Lock()
    next_index = itertools.count()
    start = threading.Barrier(clients + 1)

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies: list[float] = []
        statuses: Counter = Counter()
        errors = 0
        start.wait()
        while (index := next(next_index)) < len(units):
            for request in units[index]:
                began = time.perf_counter()
                try:
                    connection.request("POST", path, body=request.body, headers=request.headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    errors += 1
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    continue
                latencies.append(time.perf_counter() - began)
                statuses[response.status] += 1
        connection.close()
        with lock:
            result.latencies.extend(latencies)
            result.statuses.update(statuses)
            result.errors += errors

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - began
    return result


def reaction_event(user: str, reaction: str, channel: str, ts: str) -> dict[str, Any]:
    """A `reaction_added` event on a message, as Slack sends it."""
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item_user": "UBOT0001",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{time.time():.6f}",
    }
