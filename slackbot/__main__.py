"""`python -m slackbot`: validate settings, migrate, and run the bot (Socket Mode or HTTP).

Tools that need no Slack tokens or `.env`, dispatched before any setting is read:

    python -m slackbot demo [--playbook ID] [--html FILE]      a scripted case on loopback
    python -m slackbot playbooks check [FILE]                  every problem of a playbooks file
    python -m slackbot playbooks preview [FILE] --playbook ID [--html FILE]
    python -m slackbot export --since DATE ...                 cases as CSV or JSON
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from slackbot import export, playbooks_cli
from slackbot.app import build_app
from slackbot.config import ConfigError, load_settings
from slackbot.domain.playbooks import PlaybookError
from slackbot.logs import configure_logging
from slackbot.scheduler import build_scheduler
from slackbot.server import create_server, stop_server
from slackbot.services import Services
from slackbot.wiring import build_services

log = logging.getLogger("slackbot")

#: From SIGTERM/SIGINT to exit: what is in flight finishes or is handed back within this.
SHUTDOWN_SECONDS = 10.0


def main(argv: list[str] | None = None) -> int:
    """Start the bot; exit 2 with one line naming the setting when configuration is wrong."""
    args = sys.argv[1:] if argv is None else argv
    tool = _tool(args)
    if tool is not None:  # a tool, not the bot: it needs no Slack settings
        return tool()
    host = _host(args)
    stop = Stop()
    stop.install()
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    # Slack's and HTTP libraries' debug output carries message bodies (contact details),
    # envelopes and request headers: they stay at INFO or above whatever LOG_LEVEL says.
    configure_logging(settings.log_level)
    log.debug("logging at DEBUG; Slack libraries capped at INFO (no payloads)")
    try:
        services = build_services(settings)
    except PlaybookError as exc:
        print(f"configuration error: ESCALATION_PLAYBOOKS: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # database unreachable, migration failure, …
        print(f"start-up error: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    try:
        app = build_app(services)
    except Exception as exc:  # e.g. auth.test refused the token
        print(
            f"start-up error: SLACK_BOT_TOKEN was refused by Slack ({exc})".splitlines()[0],
            file=sys.stderr,
        )
        return 2
    scheduler = build_scheduler(services)
    scheduler.start()
    # What the last process left unfinished (requests acknowledged but not handled, effects
    # owed) is taken up now, off the main thread (shutdown waits for it).
    services.listener_executor.submit(services.inbox.replay_due)
    services.listener_executor.submit(services.outbox.kick)
    log.info("starting in %s mode: %r", settings.slack_mode, settings)
    if not stop.requested:
        if settings.slack_mode == "socket":
            _run_socket_mode(app, settings.slack_app_token, stop)
        else:
            _run_http(app, services, host, settings.port, stop)
    return _shut_down(services, scheduler, stop)


class Stop:
    """SIGTERM and SIGINT: noted once, from the signal handler; what then stops taking new work
    (the HTTP server, the Socket Mode connection) runs on its own thread, never in the handler."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.at: float | None = None
        self._then: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    @property
    def requested(self) -> bool:
        """Whether a signal asked us to stop."""
        return self.event.is_set()

    def install(self) -> None:
        """Handle SIGTERM and SIGINT (instead of dying of the first, or KeyboardInterrupt)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        with self._lock:
            if self.event.is_set():
                return
            self.at = time.monotonic()
            self.event.set()
            then = list(self._then)
        log.info("%s: stopping (at most %s s)", signal.Signals(signum).name, SHUTDOWN_SECONDS)
        for stop_intake in then:
            threading.Thread(target=stop_intake, name="stop-intake", daemon=True).start()

    def then(self, stop_intake: Callable[[], None]) -> None:
        """Run `stop_intake` when a signal comes (at once if one already came)."""
        with self._lock:
            self._then.append(stop_intake)
            if not self.event.is_set():
                return
        stop_intake()


def _run_http(app: App, services: Services, host: str, port: int, stop: Stop) -> None:
    """Serve until a signal: the server stops accepting and finishes the requests it has."""
    server = create_server(app, services, host=host, port=port)
    stop.then(lambda: stop_server(server))
    log.info("listening on %s:%s", host, server.effective_port)
    server.run()


def _run_socket_mode(app: App, app_token: str, stop: Stop) -> None:
    """Hold the Socket Mode connection until a signal, then close it (envelopes being handled
    are acknowledged first; Slack redelivers what was never acknowledged)."""
    handler = SocketModeHandler(app, app_token)
    handler.connect()
    while not stop.event.wait(1.0):
        pass
    handler.close()


def _shut_down(services: Services, scheduler: BaseScheduler, stop: Stop) -> int:
    """Stop taking new work, let what is in flight finish until the deadline, exit 0.

    Whatever is still running at the deadline is handed back, not lost: its Slack request stays
    unfinished in the inbox and its outbox item keeps its short lease; another replica or the
    next start takes them over when the leases run out.
    """
    deadline = (stop.at or time.monotonic()) + SHUTDOWN_SECONDS
    services.inbox.stop()
    services.outbox.stop()
    waiting = [
        _in_thread("scheduler", scheduler.shutdown, wait=True),
        _in_thread(
            "listeners", services.listener_executor.shutdown, wait=True, cancel_futures=True
        ),
        # The items being performed on the outbox's lanes finish; nothing new is claimed.
        _in_thread("outbox", services.outbox.close),
    ]
    for thread in waiting:
        thread.join(max(0.0, deadline - time.monotonic()))
    still = [thread.name for thread in waiting if thread.is_alive()]
    if still:
        log.warning("stopped with work in flight (%s): handed back", ", ".join(still))
        logging.shutdown()
        # Their threads would keep the interpreter alive past the deadline.
        os._exit(0)
    log.info("stopped")
    return 0


def _in_thread(name: str, fn: Callable[..., object], **kwargs: object) -> threading.Thread:
    thread = threading.Thread(target=fn, kwargs=kwargs, name=f"shutdown-{name}", daemon=True)
    thread.start()
    return thread


#: The loopback tools live in slackbot.devtools, which the running bot never imports: loaded
#: by name on demand (argv is what follows the subcommand).
DEVTOOLS = {
    ("demo",): "slackbot.devtools.demo",
    ("playbooks", "preview"): "slackbot.devtools.preview",
}


def _tool(args: list[str]) -> Callable[[], int] | None:
    """The tool the arguments name (export, demo, playbooks …), or None to run the bot."""
    for words, module in DEVTOOLS.items():
        if tuple(args[: len(words)]) == words:
            rest = args[len(words) :]
            return lambda: _devtool(module, rest)
    if args[:1] == ["export"]:
        return lambda: export.main(args[1:])
    if args[:1] == ["playbooks"]:
        return lambda: playbooks_cli.main(args[1:])
    return None


def _devtool(module: str, argv: list[str]) -> int:
    try:
        tool = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        print(f"{module} is not part of this installation", file=sys.stderr)
        return 2
    return int(tool.main(argv) or 0)


def _host(args: list[str]) -> str:
    """The HTTP mode's bind address: `--host ADDRESS` (tests say 127.0.0.1), else every one."""
    if "--host" in args and args.index("--host") + 1 < len(args):
        return args[args.index("--host") + 1]
    return "0.0.0.0"


if __name__ == "__main__":
    sys.exit(main())
