"""`/escalate notify off|on`: whether you get a DM when a case you opened changes (issue 13)."""

from __future__ import annotations

from commands.subcommands import CommandContext, Reply
from slackbot.render.intake_sources import build_notify_answer
from slackbot.usecases.opener_notices import set_opener_dms

NOTIFY_USAGE = "/escalate notify off|on"


def handle_notify(ctx: CommandContext) -> Reply:
    """Turn the opener DMs off or on for the person asking."""
    word = ctx.args[0].lower() if ctx.args else ""
    if word not in ("on", "off"):
        return Reply(text=f"Use `{NOTIFY_USAGE}`.")
    on = word == "on"
    set_opener_dms(ctx.services.engine, ctx.user_id, on=on, now=ctx.services.clock.now())
    return Reply(text=build_notify_answer(on))
