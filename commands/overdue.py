"""`/escalate overdue`: open cases with an expired service-level clock, oldest first."""

from __future__ import annotations

from sqlmodel import Session

from commands.escalate import CommandContext, Reply, Subcommand
from slackbot.services import Services
from slackbot.slack.reminders import build_overdue_list
from slackbot.usecases.deadlines import overdue


def handle_overdue(ctx: CommandContext) -> Reply:
    """List what is overdue, oldest first."""
    now = ctx.services.clock.now()
    with Session(ctx.services.engine) as session:
        items = [
            (o.case.id, o.case.summary, o.kind, o.expires_at, o.case.owner_id)
            for o in overdue(session, now)
        ]
    return Reply(text=build_overdue_list(items, now))


def register(services: Services) -> None:
    """Add the subcommand to `/escalate`."""
    services.extras["escalate"].add(
        Subcommand("overdue", "/escalate overdue", "what is overdue, oldest first", handle_overdue)
    )
