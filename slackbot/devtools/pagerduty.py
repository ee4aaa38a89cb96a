"""A fake PagerDuty: the Events API v2 and the REST incident lookup, real HTTP on 127.0.0.1:0.

It records every request (method, path, query, headers, JSON body). Events are answered 202 like
PagerDuty, or with a scripted status (400 with PagerDuty's error body, 429, 500) for the next N
events. `GET /incidents?incident_key=…` answers from `incidents`, keyed by dedup key.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

EVENTS_PATH = "/v2/enqueue"


@dataclass
class Request:
    """One request the bot made."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakePagerDuty:
    """State shared with the server's handler threads."""

    requests: list[Request] = field(default_factory=list)
    scripted: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)
    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    server: ThreadingHTTPServer | None = None

    @property
    def events_url(self) -> str:
        """What PAGERDUTY_EVENTS_URL should be."""
        return self.url + EVENTS_PATH

    def answer_next(self, status: int, times: int = 1, body: dict[str, Any] | None = None) -> None:
        """Answer the next `times` events with `status` (and `body`, else a PagerDuty-like one)."""
        with self.lock:
            self.scripted.extend([(status, body)] * times)

    def set_incident(self, dedup_key: str, status: str, acknowledger: str | None = None) -> None:
        """What the incident lookup returns for `dedup_key`."""
        incident: dict[str, Any] = {"id": "PINC0001", "status": status, "incident_key": dedup_key}
        if acknowledger:
            incident["acknowledgements"] = [
                {"at": "2026-11-19T06:10:00Z", "acknowledger": {"summary": acknowledger}}
            ]
        with self.lock:
            self.incidents[dedup_key] = incident

    def events(self) -> list[Request]:
        """Every Events API request, in order."""
        with self.lock:
            return [r for r in self.requests if r.path == EVENTS_PATH]

    def wait_for_events(self, count: int = 1, timeout: float = 5.0) -> list[Request]:
        """Wait until `count` events arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events()
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} event(s), got {len(self.events())}")

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


_ERROR_BODIES = {
    400: {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"],
    },
    429: {
        "status": "throttle event",
        "message": "Requests for this service are arriving too quickly",
    },
    500: {"status": "error", "message": "Internal error"},
}


def _handler(state: FakePagerDuty) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(data)

        def _record(self, body: Any) -> Request:
            parts = urlsplit(self.path)
            request = Request(
                self.command, parts.path, parse_qs(parts.query), dict(self.headers), body
            )
            with state.lock:
                state.requests.append(request)
            return request

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            request = self._record(body)
            if request.path != EVENTS_PATH:
                self._reply(404, {"error": {"message": "Not Found", "code": 2100}})
                return
            with state.lock:
                scripted = state.scripted.pop(0) if state.scripted else None
            if scripted is not None:
                status, reply = scripted
                self._reply(status, reply or _ERROR_BODIES.get(status, {"status": "error"}))
                return
            dedup = body.get("dedup_key") if isinstance(body, dict) else None
            self._reply(
                202, {"status": "success", "message": "Event processed", "dedup_key": dedup}
            )

        def do_GET(self) -> None:  # noqa: N802
            request = self._record(None)
            if request.path != "/incidents":
                self._reply(404, {"error": {"message": "Not Found", "code": 2100}})
                return
            if not request.headers.get("Authorization", "").startswith("Token token="):
                self._reply(401, {"error": {"message": "Unauthorized", "code": 2006}})
                return
            key = (request.query.get("incident_key") or [""])[0]
            with state.lock:
                found = [state.incidents[key]] if key in state.incidents else []
            self._reply(
                200, {"incidents": found, "limit": 1, "offset": 0, "more": False, "total": None}
            )

    return Handler


def start_fake_pagerduty() -> FakePagerDuty:
    """Start the fake on 127.0.0.1, a free port, in a daemon thread."""
    state = FakePagerDuty()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.server = server
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return state
