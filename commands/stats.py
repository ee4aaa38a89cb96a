"""`/escalate stats [week|month] [last]`: the numbers leads read, by team and by category."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from commands.escalate import CommandContext, Reply, Subcommand
from slackbot.domain.stats import render_report
from slackbot.services import Services
from slackbot.usecases.reports import (
    build_period_report,
    period_for,
    post_weekly_report,
    report_zone,
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


def register(services: Services) -> None:
    """Add the subcommand, and the Monday-morning post when WEEKLY_REPORT_CHANNEL is set."""
    services.extras["escalate"].add(
        Subcommand(
            "stats",
            "/escalate stats [week|month] [last]",
            "opened and closed cases by team and category",
            handle_stats,
        )
    )
    if services.settings.weekly_report_channel:
        trigger = CronTrigger(day_of_week="mon", hour=8, minute=0, timezone=report_zone(services))
        services.extras.setdefault("cron_jobs", {})["weekly_report"] = (trigger, post_weekly_report)
