"""A recording fake of Slack's Web API: a real HTTP server on 127.0.0.1, port 0.

Point the bot at it with SLACK_API_URL. It answers per method like Slack (including auth.test),
records every call (method, parsed body, headers), and can be told to fail a method a number of
times (e.g. 429 with Retry-After, or `{"ok": false, "error": "channel_not_found"}`).

Files: `files` holds downloadable bytes by name (served on GET /files/<name>, recorded as
"GET /files/<name>" and scriptable with `fail()` under that name); `file_infos` maps a file id to
what `files.info` answers (name, mimetype; size and the download URLs are filled in).

Messages: every `chat.postMessage` is kept per channel (`messages`), with its thread and message
`metadata`, and `conversations.history` (top-level messages, newest first), `conversations.replies`
(a thread, oldest first) and `conversations.list` (the channels named so far) answer from them;
metadata only with `include_all_metadata`, like Slack. `delay()` makes the next calls of a method
slow: the call is recorded (and a post kept) first, then the answer waits, as when Slack did the
work but its answer is late. `apps.connections.open` answers `socket_mode_url`.

Strict, like Slack (every test talks to this): `blocks` and `view` are checked with
`slack_sdk.models` and Slack's documented limits (`slack_checks`), and refused with Slack's error
names (`invalid_blocks`, `msg_too_long`, `invalid_arguments`); methods that take a channel id
refuse a `#name` (`channel_not_found`); a private channel (`add_channel(..., private=True)`)
answers `not_in_channel` until `invite()`, and `conversations.join` on it
`method_not_supported_for_channel_type`; reading a channel's history needs the bot in it (public
ones: after `conversations.join`); a trigger id (`slack_rules.trigger_id()`) expires 3 s after
it was issued; `chat.update` of a message never posted answers `message_not_found`; a method
needing a scope the manifest does not grant answers `missing_scope` with `needed`. Every refusal
is kept in `refusals`. `strict_rate_limits=True` adds Slack's per-method tiers (429 with
`Retry-After`), for the benchmark and the fault tests.
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
from urllib.parse import parse_qs, unquote

from slackbot.devtools import slack_rules
from slackbot.devtools.slack_files import KeptFiles
from slackbot.devtools.slack_messages import BOT_USER_ID, KeptMessages
from slackbot.devtools.slack_strict import StrictSlack

TEAM_ID = "T0TEAM001"


@dataclass
class Call:
    """One request the bot made."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    #: Slack's error name when the fake refused the call (scripted failures included).
    error: str | None = None


@dataclass
class Failure:
    """A scripted failure for a method: an HTTP status and/or a Slack error, `times` times."""

    status: int = 200
    error: str | None = None
    times: int = 1
    retry_after: int | None = None


@dataclass
class Delay:
    """A scripted slow answer: wait `seconds` before answering, `times` times, for calls that
    `match` (all calls when None)."""

    seconds: float
    times: int = 1
    match: Any = None
    #: Answer as soon as this is set (and at the latest after `seconds`): a test holds calls.
    until: threading.Event | None = None

    def wait(self) -> None:
        """Hold the answer."""
        if self.until is not None:
            self.until.wait(self.seconds)
        else:
            time.sleep(self.seconds)


@dataclass
class FakeSlack(StrictSlack, KeptMessages, KeptFiles):
    """State shared by the server's handler threads."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    channel_ids: dict[str, str] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    channel_members: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    file_infos: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: users.info answers by user id (fields of `profile`); others get a placeholder profile.
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Bytes received by files_upload_v2's upload step, by the file id the fake handed out.
    uploads: dict[str, bytes] = field(default_factory=dict)
    #: files.getUploadURLExternal's filename and length, by file id.
    upload_names: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Posted messages by channel id, oldest first: ts, text, thread_ts, metadata.
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    delays: dict[str, list[Delay]] = field(default_factory=dict)
    #: What apps.connections.open answers (a fake Socket Mode server's ws:// URL).
    socket_mode_url: str = ""
    #: The bot token's scopes (default: the bot scopes manifest.yml asks for).
    scopes: list[str] = field(default_factory=slack_rules.manifest_scopes)
    #: Private channels' ids, and the channels (public or private) the bot is in.
    private: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)
    #: Opt-in: Slack's rate-limit tiers per method (and per channel for chat.postMessage).
    strict_rate_limits: bool = False
    #: Every call the fake refused (not scripted failures): (method, error, why).
    refusals: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)
    url: str = ""

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)
        self._ts = itertools.count(1)
        self._recent: dict[str, list[float]] = {}

    # -- the workspace -----------------------------------------------------------------------
    def add_channel(self, name: str, *, private: bool = False, bot_in: bool = False) -> str:
        """A channel named `#name` (its id is returned); the bot is in it only if `bot_in`."""
        channel = self._channel(name)
        with self.lock:
            if private:
                self.private.add(channel)
            if bot_in:
                self.members.add(channel)
        return channel

    def invite(self, channel: str) -> None:
        """`/invite @escalations` to a channel (by name or id)."""
        with self.lock:
            self.members.add(self._channel_id(channel))

    # -- scripting -------------------------------------------------------------------------
    def fail(self, method: str, failure: Failure) -> None:
        """Make the next `failure.times` calls of `method` fail."""
        with self.lock:
            self.failures.setdefault(method, []).append(failure)

    def delay(self, method: str, delay: Delay) -> None:
        """Make the next `delay.times` (matching) calls of `method` answer `delay.seconds` late."""
        with self.lock:
            self.delays.setdefault(method, []).append(delay)

    def _delay_for(self, method: str, body: dict[str, Any]) -> Delay | None:
        with self.lock:
            for delay in self.delays.get(method, []):
                if delay.times > 0 and (delay.match is None or delay.match(body)):
                    delay.times -= 1
                    return delay
        return None

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
        self, method: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Record the call and produce (status, json, headers)."""
        call = Call(method, body, dict(headers or {}))
        with self.changed:
            self.calls.append(call)
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
                call.error = failure.error or "ratelimited"
                return failure.status, {"ok": False, "error": call.error}, headers
        refused = self.refuse(method, body, headers)
        if refused is not None:
            call.error = refused[1]["error"]
            return refused
        answer = self._ok(method, body)
        late = self._delay_for(method, body)
        if late is not None:
            late.wait()
        return 200, answer, {}

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
            return self._post(body)
        kept = self._from_messages(method, body)
        if kept is not None:
            return kept
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
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            return {"ok": True, "view": {"id": "V0VIEW001", **(body.get("view") or {})}}
        if method == "files.info":
            return self._file_info(body.get("file", ""))
        if method == "users.info":
            return self._user_info(body.get("user", ""))
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", "U"))[1:]}}
        if method == "files.getUploadURLExternal":
            return self._upload_url(body)
        if method == "files.completeUploadExternal":
            return self._complete_upload(body)
        return {"ok": True}

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(body.get("channel", ""))
        if channel.startswith(("U", "W")):
            channel = "D" + channel[1:]
        ts = self.next_ts()
        self._keep(channel, ts, body)
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text", "")}}

    def _user_info(self, user_id: str) -> dict[str, Any]:
        """A profile: `profiles[user_id]` if scripted, else a placeholder name and address."""
        with self.lock:
            scripted = self.profiles.get(user_id)
        profile = {
            "real_name": f"Agent {user_id[-4:]}",
            "display_name": user_id.lower(),
            "email": f"{user_id.lower()}@support.example.com",
        }
        if scripted is not None:
            profile.update(scripted)
        if "users:read.email" not in self.scopes:
            profile.pop("email", None)  # Slack leaves it out without the scope
        return {"ok": True, "user": {"id": user_id, "name": user_id.lower(), "profile": profile}}

    def wait_until(self, predicate, what: str, timeout: float = 5.0) -> list[Call]:
        """Wait until `predicate(call)` holds for some recorded call; return those calls."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [call for call in self.calls if predicate(call)]
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    methods = [call.method for call in self.calls]
                    raise AssertionError(f"expected {what}; calls: {methods}")
                self.changed.wait(remaining)

    def wait_for_post(self, text_prefix: str, timeout: float = 5.0) -> list[Call]:
        """Wait for a chat.postMessage whose text starts with `text_prefix`."""
        return self.wait_until(
            lambda call: (
                call.method == "chat.postMessage"
                and str(call.body.get("text", "")).startswith(text_prefix)
            ),
            f"a chat.postMessage starting {text_prefix!r}",
            timeout,
        )


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


def start_fake_slack(**options: Any) -> tuple[FakeSlack, ThreadingHTTPServer]:
    """Start the fake on 127.0.0.1 with a free port; return its state and server (`options`:
    FakeSlack's fields, e.g. `scopes=[...]` or `strict_rate_limits=True`)."""
    state = FakeSlack(**options)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.startswith("/upload/"):
                self._receive_upload()
                return
            method = self.path.lstrip("/").removeprefix("api/").split("?")[0]
            body = _parse_body(self)
            status, payload, headers = state.answer(method, body, dict(self.headers))
            self._send_json(status, payload, headers)

        def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _receive_upload(self) -> None:
            """Step 2 of files_upload_v2: the file's bytes, posted to the upload URL."""
            file_id = self.path.removeprefix("/upload/").split("?")[0]
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
            status, payload, headers = state.answer("POST /upload", {"file_id": file_id})
            if status == 200:
                with state.lock:
                    state.uploads[file_id] = data
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def do_GET(self) -> None:  # noqa: N802 - file downloads (url_private)
            path = self.path.partition("?")[0]
            status, payload, headers = state.answer("GET " + path, {}, dict(self.headers))
            if status != 200:
                self._send_json(status, payload, headers)
                return
            data = state.files.get(unquote(path.rsplit("/", 1)[-1]))
            if data is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # A short poll: shutdown() waits up to one poll interval, and every test stops a server.
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    return state, server
