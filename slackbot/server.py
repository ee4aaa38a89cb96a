"""HTTP mode: Bolt on POST /slack/events and a health check on GET /healthz, served by waitress
(a production-grade multi-threaded WSGI server; run several instances behind a load balancer)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server as waitress_server

from slackbot.services import Services
from storage.db import ping

EVENTS_PATH = "/slack/events"


def make_wsgi_app(app: App, services: Services) -> Callable[..., Iterable[bytes]]:
    """The WSGI application: Slack's requests, the health check, 404 for the rest."""
    slack_handler = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
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
