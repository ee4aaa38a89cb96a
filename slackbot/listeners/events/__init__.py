"""Event listeners: reactions, thread replies and the App Home tab (every subscribed type has a
listener, or Bolt would answer 404 and Slack would retry)."""

from __future__ import annotations

from slack_bolt import App

from slackbot.listeners.events.app_home import handle_app_home_opened
from slackbot.listeners.events.messages import handle_message
from slackbot.listeners.events.reactions import handle_reaction_added, handle_reaction_removed


def register(app: App) -> None:
    """Register the event listeners."""
    app.event("reaction_added")(handle_reaction_added)
    app.event("reaction_removed")(handle_reaction_removed)
    app.event("message")(handle_message)
    app.event("app_home_opened")(handle_app_home_opened)
