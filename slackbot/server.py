"""HTTP mode: Bolt on POST /slack/events and a health check on GET /healthz, served by waitress
(a production-grade multi-threaded WSGI server; run several instances behind a load balancer)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from waitress.server import create_server as waitress_server

from slackbot.services import Services
from storage.db import ping

EVENTS_PATH = "/slack/events"
#: Larger than anything Slack sends (a modal's state is a few kB): refused unread.
MAX_BODY = 1_000_000


def _plain(start_response: Callable[..., Any], status: str, text: str) -> Iterable[bytes]:
    body = f"{text}\n".encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _well_formed(body: str, content_type: str) -> bool:
    """Whether a signed body is shaped as Slack sends one: a JSON object (events), or a form
    whose `payload`, when there is one, is a JSON object with a `type` (interactivity)."""
    try:
        if content_type.startswith("application/json"):
            return isinstance(json.loads(body), dict)
        form = parse_qs(body, keep_blank_values=True)
        payloads = form.get("payload")
        if payloads is None:
            return True  # a slash command: its fields are read as strings
        payload = json.loads(payloads[0]) if len(payloads) == 1 else None
    except ValueError:
        return False
    return isinstance(payload, dict) and isinstance(payload.get("type"), str)


def check_request(environ: dict[str, Any], signing_secret: str) -> tuple[str, str] | None:
    """None when the request may go on to Bolt (its body put back for it to read); else the
    status and text to answer: 401 for a missing, non-numeric or stale timestamp or a bad
    signature, 400 for a body Slack would never send (Bolt would fail on it with a 500)."""
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    if not timestamp.isascii() or not timestamp.isdigit():
        return "401 Unauthorized", "invalid request"
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return "400 Bad Request", "bad request"
    if length < 0 or length > MAX_BODY:
        return "400 Bad Request", "bad request"
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "400 Bad Request", "bad request"
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if signing_secret and not SignatureVerifier(signing_secret).is_valid(
        body=body, timestamp=timestamp, signature=signature
    ):
        return "401 Unauthorized", "invalid request"
    if not _well_formed(body, environ.get("CONTENT_TYPE", "")):
        return "400 Bad Request", "bad request"
    return None


def make_wsgi_app(app: App, services: Services) -> Callable[..., Iterable[bytes]]:
    """The WSGI application: Slack's requests, the health check, 404 for the rest."""
    slack_handler = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            refused = check_request(environ, services.settings.slack_signing_secret)
            if refused is not None:
                return _plain(start_response, *refused)
            return slack_handler(environ, start_response)
        if path == "/healthz" and method in ("GET", "HEAD"):
            healthy = ping(services.engine)
            body = b"ok\n" if healthy else b"database unavailable\n"
            start_response(
                "200 OK" if healthy else "503 Service Unavailable",
                [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
            )
            return [body]
        body = b"not found\n"
        start_response(
            "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return wsgi


def create_server(app: App, services: Services, *, host: str, port: int, threads: int = 8):
    """A waitress server for the WSGI app (call `.run()`; `.effective_port` tells the port)."""
    return waitress_server(make_wsgi_app(app, services), host=host, port=port, threads=threads)


_stopping = threading.Lock()


def stop_server(server) -> None:
    """Stop a running waitress server from another thread: close its sockets in its own loop.

    Safe to call more than once (a second SIGTERM, a test that stops a bot it then restarts):
    once the loop has closed its trigger, writing to it again would hit a closed (or reused)
    file descriptor.
    """
    with _stopping:
        if getattr(server, "_escalations_stopped", False):
            return
        server._escalations_stopped = True

    def close_all() -> None:
        for channel in list(server._map.values()):
            channel.close()

    server.trigger.pull_trigger(close_all)
    server.task_dispatcher.shutdown()
