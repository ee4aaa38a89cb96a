"""The app factory: builds the Bolt App, puts the services in every request's context and
registers every listener. Nothing happens at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

import commands
from slackbot.domain.errors import UserFacingError
from slackbot.listeners import actions, events, views
from slackbot.services import Services
from slackbot.usecases.notices import tell

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = ":warning: Something went wrong on our side; nothing was changed. Try again."


def register_listeners(app: App) -> None:
    """Every registration, in one list."""
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)


def build_app(services: Services, *, token_verification: bool = True) -> App:
    """A Bolt App wired to the services, with every listener registered."""
    app = App(
        client=services.slack,
        listener_executor=services.listener_executor,
        signing_secret=services.settings.slack_signing_secret or None,
        token_verification_enabled=token_verification,
        # Listeners ack first and do slow work after the ack, in the listener executor.
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    app.middleware(_inject(services))
    register_listeners(app)
    app.error(_error_handler(services))
    return app


def _inject(services: Services) -> Callable[..., None]:
    def inject_services(context: BoltContext, next: Callable[[], None]) -> None:
        context["services"] = services
        next()

    return inject_services


def _asker(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """Who made the request and where, when the payload says (events and modals may not)."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return user, channel


def _error_handler(services: Services) -> Callable[..., BoltResponse | None]:
    def handle_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        """A refusal goes to the asker as is; anything else is logged (never the payload)."""
        user, channel = _asker(body)
        if isinstance(error, UserFacingError):
            text = str(error)
        else:
            kind = body.get("type") or body.get("command") or "request"
            log.error("unhandled error in %s: %s", kind, type(error).__name__, exc_info=error)
            text = SOMETHING_WENT_WRONG
        if user and body.get("type") != "event_callback":
            try:
                tell(services, user=user, channel=channel, text=text)
            except Exception:
                log.exception("could not tell %s what went wrong", user)
        return None

    return handle_error
