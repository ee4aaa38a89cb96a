"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 with a free port.

It records every accepted message (envelope and parsed email) and can be told to refuse the
next N messages with a given SMTP reply (e.g. "451 4.3.0 try later" or "550 5.1.1 no such user").
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One accepted message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class RecordingHandler:
    """aiosmtpd handler that records messages and refuses on demand."""

    received: list[Received] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    message_from_bytes(
                        envelope.original_content or envelope.content, policy=policy.default
                    ),
                )
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start/stop wrapper; `port` stays the same across restarts of the same instance."""

    def __init__(self) -> None:
        self.handler = RecordingHandler()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.host = "127.0.0.1"
        self.controller: Controller | None = None

    def start(self, timeout: float = 5.0) -> SmtpServer:
        """Listen on 127.0.0.1:port.

        The port was free when probed, but it comes from the ephemeral range: while a client's
        connection happens to hold it as its local port, binding fails with EADDRINUSE (and
        aiosmtpd only says so after its 5 s ready timeout). Wait, up to `timeout`, until a bind
        as asyncio makes it (SO_REUSEADDR) would succeed, then start.
        """
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((self.host, self.port))
                    break
                except OSError as exc:
                    if exc.errno != errno.EADDRINUSE or time.monotonic() >= deadline:
                        raise
            time.sleep(0.05)
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening (messages recorded so far are kept)."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def refuse_next(self, reply: str, times: int = 1) -> None:
        """Refuse the next `times` messages with `reply`."""
        with self.handler.lock:
            self.handler.refusals.extend([reply] * times)

    @property
    def messages(self) -> list[Received]:
        """Accepted messages, in order."""
        with self.handler.lock:
            return list(self.handler.received)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[Received]:
        """Wait until `count` messages were accepted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.02)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")
