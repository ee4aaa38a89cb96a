"""HTTP mode: Bolt on POST /slack/events and a health check on GET /healthz, served by waitress
(a production-grade multi-threaded WSGI server; run several instances behind a load balancer)."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from waitress.server import create_server as waitress_server

from slackbot.listeners import shape
from slackbot.services import Services
from storage.db import ping

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
#: Larger than anything Slack sends (a modal's state is a few kB): refused unread.
MAX_BODY = 1_000_000


def _answer(
    start_response: Callable[..., Any], status: str, text: str, content_type: str
) -> Iterable[bytes]:
    body = text.encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _parsed(body: str, content_type: str) -> dict[str, Any] | None:
    """The body as Bolt will read it, or None if Slack would never send it: a JSON object
    (events), a form with one `payload` holding a JSON object (interactivity), or a form of
    single values (slash commands)."""
    try:
        if content_type.startswith("application/json"):
            found = json.loads(body)
            return found if isinstance(found, dict) else None
        form = parse_qs(body, keep_blank_values=True)
        if any(len(values) != 1 for values in form.values()):
            return None
        if "payload" not in form:
            return {key: values[0] for key, values in form.items()}
        found = json.loads(form["payload"][0])
    except ValueError:
        return None
    return found if isinstance(found, dict) and isinstance(found.get("type"), str) else None


def _refused_shape(refusal: shape.Refusal) -> tuple[str, str, str]:
    """A modal with wrongly typed values gets its errors under the fields; the rest a 400."""
    if refusal.field_errors:
        errors = {"response_action": "errors", "errors": refusal.field_errors}
        return "200 OK", json.dumps(errors), "application/json"
    return "400 Bad Request", "bad request\n", "text/plain"


UNAUTHORIZED = ("401 Unauthorized", "invalid request\n", "text/plain")
BAD_REQUEST = ("400 Bad Request", "bad request\n", "text/plain")


def check_request(environ: dict[str, Any], signing_secret: str) -> tuple[str, str, str] | None:
    """None when the request may go on to Bolt (its body put back for it to read); else the
    status, body and content type to answer: 401 for a missing, non-numeric or stale
    timestamp or a bad signature; 400 for a body Slack would never send or whose fields have
    the wrong type (Bolt, or a listener, would fail on it with a 500); a modal's wrongly typed
    values get errors under their fields."""
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    if not timestamp.isascii() or not timestamp.isdigit():
        return UNAUTHORIZED
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return BAD_REQUEST
    if length < 0 or length > MAX_BODY:
        return BAD_REQUEST
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return BAD_REQUEST
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if signing_secret and not SignatureVerifier(signing_secret).is_valid(
        body=body, timestamp=timestamp, signature=signature
    ):
        return UNAUTHORIZED
    parsed = _parsed(body, environ.get("CONTENT_TYPE", ""))
    if parsed is None:
        return BAD_REQUEST
    refusal = shape.refusal(parsed)
    if refusal is not None:
        log.warning("refused a malformed request: %s", refusal.reason)
        return _refused_shape(refusal)
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
                return _answer(start_response, *refused)
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

    # Workers first: a request still being answered pulls the trigger when it writes its
    # response, and a trigger already closed by `close_all` fails that write (EBADF).
    server.task_dispatcher.shutdown()
    try:
        server.trigger.pull_trigger(close_all)
    except OSError:  # its trigger is closed already: the loop cannot be woken, close them here
        log.warning("the server's loop had closed its trigger; closing its sockets directly")
        close_all()
