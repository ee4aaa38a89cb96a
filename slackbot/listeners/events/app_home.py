"""The App Home tab: the cases of the person who opens it, a page at a time."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackbot.listeners.parse import int_or_none
from slackbot.render.home import build_home_view
from slackbot.services import Services
from slackbot.usecases.home import home_view

log = logging.getLogger(__name__)


def publish_home(services: Services, client: WebClient, user: str, page: int = 0) -> None:
    """Publish the viewer's Home tab at `page`."""
    view = build_home_view(home_view(services, user_id=user, page=page))
    try:
        client.views_publish(user_id=user, view=view)
    except SlackApiError as exc:  # the Home tab is a view, not a record: nothing to retry
        log.warning("could not publish the Home tab: %s", exc.response.get("error"))


def handle_app_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext):
    """Publish the Home tab for whoever opened it."""
    if event.get("tab") not in (None, "home"):
        return
    publish_home(context["services"], client, event["user"])


def handle_home_page(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext):
    """Previous / Next: publish that page."""
    ack()
    page = int_or_none((body.get("actions") or [{}])[0].get("value")) or 0
    publish_home(context["services"], client, body["user"]["id"], page)


def handle_open_thread(ack: Ack) -> None:
    """A link button: Slack opens the thread; the click only needs an ack."""
    ack()
