"""Slash commands: `/escalate` (with its subcommands) and `/emergency`."""

from __future__ import annotations

from slack_bolt import App

from commands.emergency import handle_emergency
from commands.escalate import handle_escalate


def register(app: App) -> None:
    """Register the slash commands."""
    app.command("/escalate")(handle_escalate)
    app.command("/emergency")(handle_emergency)
