"""`/escalate overdue`: open cases with an expired clock, blockers first, then oldest first."""

from __future__ import annotations

from commands.subcommands import CommandContext, Reply
from slackbot.render.reminders import build_overdue_list
from slackbot.usecases.reminder_actions import overdue_items


def handle_overdue(ctx: CommandContext) -> Reply:
    """List what is overdue, blockers first."""
    now = ctx.services.clock.now()
    items = [
        (o.case.id, o.case.summary, o.kind, o.expires_at, o.case.owner_id)
        for o in overdue_items(ctx.services, now)
    ]
    return Reply(text=build_overdue_list(items, now))
