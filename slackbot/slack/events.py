"""Listeners for every subscribed event type (Bolt answers 404 to unhandled ones, and Slack
then retries): reactions, channel messages and the App Home tab."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from slackbot.services import Services
from slackbot.slack import blocks
from storage.repositories import open_cases

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    """Register the event listeners."""

    def handle_app_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        with Session(services.engine) as session:
            cases = open_cases(session, user_id=event["user"])
        try:
            client.views_publish(
                user_id=event["user"], view=blocks.build_home(cases, services.playbooks)
            )
        except SlackApiError as exc:  # the Home tab is a view, not a record: nothing to retry
            log.warning("could not publish the Home tab: %s", exc.response.get("error"))

    def handle_ignored(event: dict[str, Any]) -> None:
        """Acknowledged so that Slack does not retry; features register richer handlers."""

    app.event("app_home_opened")(handle_app_home_opened)
    app.event("reaction_added")(handle_ignored)
    app.event("reaction_removed")(handle_ignored)
    app.event("message")(handle_ignored)
