"""`/escalate inquiry [playbook]`: log a general inquiry answered on first contact (issue 13)."""

from __future__ import annotations

from commands.subcommands import CommandContext, Reply
from slackbot.render.intake_sources import build_inquiry_modal, build_inquiry_picker

INQUIRY_USAGE = "/escalate inquiry [playbook]"


def handle_inquiry(ctx: CommandContext) -> Reply:
    """The inquiry form: for the named (or only) playbook, else a picker first."""
    playbooks = ctx.services.playbooks
    named = playbooks.get(ctx.args[0].lower()) if ctx.args else None
    if named is None and len(playbooks) == 1:
        named = next(iter(playbooks))
    if named is not None:
        return Reply(view=build_inquiry_modal(named))
    return Reply(view=build_inquiry_picker(playbooks))
