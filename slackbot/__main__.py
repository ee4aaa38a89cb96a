"""`python -m slackbot`: validate settings, migrate, and run the bot (Socket Mode or HTTP)."""

from __future__ import annotations

import logging
import signal
import sys

from slackbot.config import ConfigError, load_settings
from slackbot.domain.playbooks import PlaybookError

log = logging.getLogger("slackbot")


def main(argv: list[str] | None = None) -> int:
    """Start the bot; exit 2 with one line naming the setting when configuration is wrong."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Slack's and HTTP libraries' debug output carries message bodies (contact details) and
    # request headers: keep them at INFO or above whatever LOG_LEVEL says.
    for noisy in ("slack_sdk", "slack_bolt", "urllib3", "pypd"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLogger().level))
    # APScheduler logs every run of every job at INFO; a failing job still logs at ERROR.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().level))
    from slackbot.app import build_app
    from slackbot.scheduler import build_scheduler
    from slackbot.services import build_services

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
    services.outbox.kick()
    log.info("starting in %s mode: %r", settings.slack_mode, settings)
    try:
        if settings.slack_mode == "socket":
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(app, settings.slack_app_token).start()
        else:
            from slackbot.server import create_server, stop_server

            server = create_server(app, services, host="0.0.0.0", port=settings.port)
            signal.signal(signal.SIGTERM, lambda *_: stop_server(server))
            log.info("listening on port %s", server.effective_port)
            server.run()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
        # Work acked to Slack but not yet done finishes; anything unsent stays in the outbox.
        services.extras["listener_executor"].shutdown(wait=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
