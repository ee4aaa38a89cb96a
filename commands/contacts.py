"""`/escalate contacts [playbook]`: who to reach at the receiving side, their hours, and the
emergency route, ephemerally. Thin: parse, build, answer."""

from __future__ import annotations

from commands.subcommands import CommandContext, Reply
from slackbot.render.contact_blocks import build_contacts_answer

CONTACTS_USAGE = "/escalate contacts [playbook]"


def handle_contacts(ctx: CommandContext) -> Reply:
    """The named playbook's contacts, or every playbook's that lists any."""
    playbook_id = ctx.args[0] if ctx.args else None
    now = ctx.services.clock.now()
    return Reply(text=build_contacts_answer(ctx.services.playbooks, playbook_id, now))
