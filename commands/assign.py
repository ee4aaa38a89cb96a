"""`/escalate assign ESC-42 @someone`: make someone the case's owner (the Assign select, typed).

Only the case's current tier's responders may assign it, and only to one of them. Membership
look-ups may take longer than Slack's 3 seconds, so the answer goes first and the work runs on
the listener executor; the case thread (or a refusal only the asker sees) says how it went.
Mentions arrive as `<@U123|name>` (the manifest asks Slack to escape `/escalate`'s users).
"""

from __future__ import annotations

import logging
import re

from commands.subcommands import CommandContext, Reply
from slackbot.domain.cases import case_key, parse_case_key
from slackbot.domain.status_machine import Via
from slackbot.usecases import case_work
from slackbot.usecases.actors import with_members
from slackbot.usecases.cases import find_case

log = logging.getLogger(__name__)

ASSIGN_USAGE = "/escalate assign ESC-42 @someone"
USAGE_TEXT = f"Usage: `{ASSIGN_USAGE}` (pick the person from Slack's list as you type @)."
_USER = re.compile(r"^(?:<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|([UW][A-Z0-9]{2,}))$")


def parse_user(word: str) -> str | None:
    """A user id from `<@U123|name>`, `<@U123>` or a bare `U123`, else None."""
    match = _USER.match((word or "").strip())
    return (match.group(1) or match.group(2)) if match else None


def _assign(ctx: CommandContext, case_id: int, assignee: str) -> None:
    try:
        with_members(
            ctx.services,
            ctx.user_id,
            lambda actor: case_work.assign_case(
                ctx.services,
                case_id=case_id,
                assignee=assignee,
                actor=actor,
                via=Via.COMMAND,
                reply_to=ctx.channel_id,
            ),
        )
    except Exception:
        log.exception("assigning %s by command failed", case_key(case_id))


def handle_assign(ctx: CommandContext) -> Reply:
    """Check the words and the case, answer at once, assign after the answer."""
    case_id = parse_case_key(ctx.args[0]) if ctx.args else None
    assignee = parse_user(ctx.args[1]) if len(ctx.args) == 2 else None
    if case_id is None or assignee is None:
        return Reply(text=USAGE_TEXT)
    if find_case(ctx.services, case_id) is None:
        return Reply(text=f"There is no case {case_key(case_id)}. {USAGE_TEXT}")
    ctx.services.listener_executor.submit(_assign, ctx, case_id, assignee)
    return Reply(text=f"Assigning {case_key(case_id)} to <@{assignee}>; the case thread will say.")
