"""The app factory: builds the Bolt App and registers every listener. Nothing at import time."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse

from commands import contacts, emergency, escalate, stats, ticket
from slackbot.services import Services
from slackbot.slack import cases, events, reminder_actions, vendor

log = logging.getLogger(__name__)


def build_app(services: Services, *, token_verification: bool = True) -> App:
    """A Bolt App wired to the services, with every listener registered."""
    # Listener work after the ack runs here; kept so a graceful stop can wait for it.
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="bolt-listener")
    services.extras["listener_executor"] = executor
    app = App(
        client=services.slack,
        listener_executor=executor,
        signing_secret=services.settings.slack_signing_secret or None,
        token_verification_enabled=token_verification,
        # Listeners ack first and do slow work after the ack, in Bolt's worker threads.
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    escalate.register(app, services)
    stats.register(services)
    contacts.register(services)
    ticket.register(services)
    cases.register(app, services)  # before events: Bolt runs the first matching listener
    emergency.register(app, services)
    events.register(app, services)
    reminder_actions.register(app, services)
    vendor.register(app, services)

    @app.error
    def handle_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        # Log the type and where, never the payload: it may carry contact details.
        kind = body.get("type") or body.get("command") or "request"
        log.error("unhandled error in %s: %s", kind, type(error).__name__, exc_info=error)
        return None

    return app
