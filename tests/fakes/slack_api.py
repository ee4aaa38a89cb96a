"""A recording fake of Slack's Web API: a real HTTP server on 127.0.0.1, port 0.

Point the bot at it with SLACK_API_URL. It answers per method like Slack (including auth.test),
records every call (method, parsed body, headers), and can be told to fail a method a number of
times (e.g. 429 with Retry-After, or `{"ok": false, "error": "channel_not_found"}`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_USER_ID = "UBOT0001"
TEAM_ID = "T0TEAM001"


@dataclass
class Call:
    """One request the bot made."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Failure:
    """A scripted failure for a method: an HTTP status and/or a Slack error, `times` times."""

    status: int = 200
    error: str | None = None
    times: int = 1
    retry_after: int | None = None


@dataclass
class FakeSlack:
    """State shared by the server's handler threads."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    channel_ids: dict[str, str] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    channel_members: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)
    url: str = ""

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)
        self._ts = itertools.count(1)

    # -- scripting -------------------------------------------------------------------------
    def fail(self, method: str, failure: Failure) -> None:
        """Make the next `failure.times` calls of `method` fail."""
        with self.lock:
            self.failures.setdefault(method, []).append(failure)

    # -- assertions ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of `method`, in order."""
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until `method` was called at least `count` times; return those calls."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [call for call in self.calls if call.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    methods = [call.method for call in self.calls]
                    raise AssertionError(
                        f"expected {count} call(s) to {method}, got {len(found)}; calls: {methods}"
                    )
                self.changed.wait(remaining)

    def reset(self) -> None:
        """Forget recorded calls."""
        with self.lock:
            self.calls.clear()

    # -- answering -------------------------------------------------------------------------
    def next_ts(self) -> str:
        """A fresh message timestamp."""
        return f"1700000000.{next(self._ts):06d}"

    def answer(
        self, method: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Record the call and produce (status, json, headers)."""
        with self.changed:
            self.calls.append(Call(method, body, {}))
            self.changed.notify_all()
            queue = self.failures.get(method)
            if queue:
                failure = queue[0]
                failure.times -= 1
                if failure.times <= 0:
                    queue.pop(0)
                headers = {}
                if failure.retry_after is not None:
                    headers["Retry-After"] = str(failure.retry_after)
                payload = {"ok": False, "error": failure.error or "ratelimited"}
                return failure.status, payload, headers
        return 200, self._ok(method, body), {}

    def _channel(self, name: str) -> str:
        if not name.startswith("#"):
            return name
        with self.lock:
            return self.channel_ids.setdefault(name, f"C{len(self.channel_ids) + 1:08d}")

    def _ok(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER_ID,
                "bot_id": "B0BOT0001",
                "team_id": TEAM_ID,
                "user": "escalation-bot",
                "team": "Example",
                "url": "https://example.slack.com/",
            }
        if method == "chat.postMessage":
            channel = self._channel(body.get("channel", ""))
            if channel.startswith(("U", "W")):
                channel = "D" + channel[1:]
            return {
                "ok": True,
                "channel": channel,
                "ts": self.next_ts(),
                "message": {"text": body.get("text", "")},
            }
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "chat.getPermalink":
            ts = str(body.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "permalink": f"https://example.slack.com/archives/{body.get('channel')}/p{ts}",
            }
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.usergroups.get(body.get("usergroup", ""), [])}
        if method == "conversations.members":
            return {
                "ok": True,
                "members": self.channel_members.get(body.get("channel", ""), []),
                "response_metadata": {"next_cursor": ""},
            }
        if method in ("views.open", "views.update", "views.push"):
            return {"ok": True, "view": {"id": "V0VIEW001", **(body.get("view") or {})}}
        return {"ok": True}


def _parse_body(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length).decode("utf-8") if length else ""
    content_type = handler.headers.get("Content-Type", "")
    if "application/json" in content_type:
        return json.loads(raw or "{}")
    parsed = {key: values[-1] for key, values in parse_qs(raw).items()}
    for key, value in list(parsed.items()):
        if key in ("blocks", "view", "attachments") and isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                parsed[key] = json.loads(value)
    return parsed


def start_fake_slack() -> tuple[FakeSlack, ThreadingHTTPServer]:
    """Start the fake on 127.0.0.1 with a free port; return its state and server."""
    state = FakeSlack()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            method = self.path.lstrip("/").removeprefix("api/").split("?")[0]
            body = _parse_body(self)
            status, payload, headers = state.answer(method, body)
            with state.lock:
                state.calls[-1].headers = dict(self.headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - file downloads (url_private)
            name = self.path.rsplit("/", 1)[-1]
            data = state.files.get(name)
            if data is None:
                self.send_response(404)
                self.end_headers()
                return
            with state.changed:
                state.calls.append(Call("GET " + self.path, {}, dict(self.headers)))
                state.changed.notify_all()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    return state, server
