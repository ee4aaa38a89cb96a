"""`/escalate stats [week|month] [last]`: the numbers leads read, by team and by category."""

from __future__ import annotations

from commands.subcommands import CommandContext, Reply
from slackbot.domain.stats import render_report
from slackbot.usecases.reports import (
    build_period_report,
    period_for,
)


def handle_stats(ctx: CommandContext) -> Reply:
    """This week's (or month's, or the previous one's) numbers, ephemerally."""
    words = [word.lower() for word in ctx.args]
    unknown = [word for word in words if word not in ("week", "month", "last", "previous")]
    if unknown:
        return Reply(
            text="Use `/escalate stats [week|month] [last]`, e.g. `/escalate stats week last`."
        )
    kind = "month" if "month" in words else "week"
    previous = "last" in words or "previous" in words
    period = period_for(ctx.services, kind=kind, previous=previous, now=ctx.services.clock.now())
    return Reply(text=render_report(build_period_report(ctx.services, period)))
