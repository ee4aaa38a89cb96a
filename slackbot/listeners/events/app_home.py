"""The App Home tab: the cases of the person who opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackbot.render import blocks
from slackbot.services import Services
from slackbot.usecases.cases import cases_open_for

log = logging.getLogger(__name__)


def handle_app_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext):
    """Publish the Home tab for whoever opened it."""
    if event.get("tab") not in (None, "home"):
        return
    services: Services = context["services"]
    cases = cases_open_for(services, event["user"])
    try:
        client.views_publish(
            user_id=event["user"], view=blocks.build_home(cases, services.playbooks)
        )
    except SlackApiError as exc:  # the Home tab is a view, not a record: nothing to retry
        log.warning("could not publish the Home tab: %s", exc.response.get("error"))
