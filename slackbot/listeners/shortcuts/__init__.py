"""Shortcuts: *Escalate this message* on any message, and the intake reaction's button."""

from __future__ import annotations

from slack_bolt import App

from slackbot.listeners.shortcuts import escalate_message
from slackbot.render.ids import IntakeShortcut


def register(app: App) -> None:
    """Register the message shortcut and the button an intake reaction's prompt carries."""
    app.shortcut(IntakeShortcut.ESCALATE_MESSAGE.value)(escalate_message.handle_escalate_message)
    app.action(IntakeShortcut.FROM_REACTION.value)(escalate_message.handle_from_reaction)
