"""A fake Socket Mode server: a tiny WebSocket server on 127.0.0.1 that the bot connects to.

The fake Web API's `apps.connections.open` answers this server's `ws://127.0.0.1:<port>/` URL
(`FakeSlack.socket_mode_url`). On connect it says hello like Slack; `send()` pushes an envelope
(events_api, interactive, slash_commands) to the connected client and `wait_for_ack()` waits for
the client's acknowledgement of it. Pings are answered with pongs (slack_sdk's builtin client
pings every few seconds and drops a connection that never answers).

Only what slack_sdk's builtin client speaks: unfragmented text frames, ping/pong and close, no
extensions, no TLS.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from slackbot.devtools.slack_api import TEAM_ID
from slackbot.devtools.slack_rules import trigger_id

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def _frame(opcode: int, payload: bytes) -> bytes:
    """A server frame (unmasked)."""
    head = bytes([0x80 | opcode])
    if len(payload) < 126:
        head += bytes([len(payload)])
    elif len(payload) < 65536:
        head += bytes([126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([127]) + struct.pack("!Q", len(payload))
    return head + payload


def _read_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """One client frame (masked, as RFC 6455 requires of clients)."""
    first, second = _read_exact(sock, 2)
    opcode, length = first & 0x0F, second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _read_exact(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _read_exact(sock, 8))
    mask = _read_exact(sock, 4) if second & 0x80 else b"\0\0\0\0"
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(_read_exact(sock, length)))
    return opcode, payload


@dataclass
class FakeSocketMode:
    """State shared with the connection threads."""

    port: int = 0
    acks: list[dict[str, Any]] = field(default_factory=list)
    connections: list[socket.socket] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)
    _server: socket.socket | None = None

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    @property
    def url(self) -> str:
        """What apps.connections.open answers."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket=fake"

    def wait_connected(self, timeout: float = 30.0) -> None:
        """Wait until a client completed the handshake."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not self.connections:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("no Socket Mode client connected")
                self.changed.wait(remaining)

    def send(self, kind: str, payload: dict[str, Any]) -> str:
        """Push an envelope to the newest connection; returns its envelope id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": payload,
        }
        with self.lock:
            connection = self.connections[-1]
        connection.sendall(_frame(TEXT, json.dumps(envelope).encode()))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The client's acknowledgement of an envelope."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for ack in self.acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"envelope {envelope_id} was not acknowledged")
                self.changed.wait(remaining)

    def start(self) -> FakeSocketMode:
        """Listen on 127.0.0.1, a free port."""
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the listening socket and every connection."""
        if self._server is not None:
            self._server.close()
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _handshake(self, connection: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = connection.recv(4096)
            if not chunk:
                raise ConnectionError("no handshake")
            request += chunk
        headers = {}
        for line in request.decode().split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        accept = base64.b64encode(
            hashlib.sha1((headers["sec-websocket-key"] + _GUID).encode()).digest()
        ).decode()
        connection.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP0001"}}
        connection.sendall(_frame(TEXT, json.dumps(hello).encode()))

    def _serve(self, connection: socket.socket) -> None:
        try:
            self._handshake(connection)
            with self.changed:
                self.connections.append(connection)
                self.changed.notify_all()
            while True:
                opcode, payload = _read_frame(connection)
                if opcode == PING:
                    connection.sendall(_frame(PONG, payload))
                elif opcode == CLOSE:
                    connection.sendall(_frame(CLOSE, payload[:2]))
                    return
                elif opcode == TEXT:
                    with self.changed:
                        self.acks.append(json.loads(payload))
                        self.changed.notify_all()
        except (OSError, ConnectionError, ValueError):
            return
        finally:
            with self.changed:
                if connection in self.connections:
                    self.connections.remove(connection)
                self.changed.notify_all()
            connection.close()


class SocketSender:
    """Sends what `SlackSender` posts over HTTP as Socket Mode envelopes, and waits for the ack."""

    def __init__(self, server: FakeSocketMode) -> None:
        self.server = server
        self._events = 0

    def command(self, command: str, text: str = "", *, user: str = "U0AGENT01") -> dict:
        """A slash command."""
        payload = {
            "team_id": TEAM_ID,
            "channel_id": "C0SUPPORT1",
            "user_id": user,
            "command": command,
            "text": text,
            "api_app_id": "A0APP0001",
            "trigger_id": trigger_id(),
            "response_url": "https://hooks.slack.com/commands/T0TEAM001/1/abc",
        }
        return self.server.wait_for_ack(self.server.send("slash_commands", payload))

    def interactive(self, payload: dict[str, Any]) -> dict:
        """An interactivity payload (block_actions, view_submission)."""
        return self.server.wait_for_ack(self.server.send("interactive", payload))

    def event(self, event: dict[str, Any], *, event_id: str | None = None) -> dict:
        """An Events API envelope."""
        self._events += 1
        body = {
            "team_id": TEAM_ID,
            "api_app_id": "A0APP0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"EvSock{self._events:06d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT0001", "is_bot": True}],
        }
        return self.server.wait_for_ack(self.server.send("events_api", body))
