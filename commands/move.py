"""`/escalate move ESC-42 resolve [why]`: the same moves as the reactions, for people who type.

Membership look-ups may take longer than Slack's 3 seconds, so the answer goes first and the
move runs on the listener executor (which shutdown waits for); the case thread says how it went.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from commands.subcommands import CommandContext, Reply
from slackbot.domain.cases import case_key, parse_case_key
from slackbot.domain.pii import pii_error
from slackbot.domain.status_machine import Action, Via, parse_action
from slackbot.usecases.actors import with_members
from slackbot.usecases.move_case import move_case
from slackbot.usecases.resolve_case import FormResult, resolution_form

log = logging.getLogger(__name__)

MOVE_USAGE = "/escalate move ESC-42 <acknowledge|wait|escalate|resolve|reopen|…> [why]"


def _move(ctx: CommandContext, case_id: int, action: Action, reason: str | None) -> None:
    """Make the move (after the answer went back)."""
    try:
        with_members(
            ctx.services,
            ctx.user_id,
            lambda actor: move_case(
                ctx.services,
                case_id=case_id,
                action=action,
                actor=actor,
                via=Via.COMMAND,
                reason=reason,
                reply_to=ctx.channel_id,
            ),
        )
    except Exception:
        log.exception("moving %s by command failed", case_key(case_id))


def _resolve(ctx: CommandContext, case_id: int) -> None:
    """Open the note form; if the trigger expired meanwhile, the move prompts with a button."""
    try:
        result = with_members(
            ctx.services,
            ctx.user_id,
            lambda actor: resolution_form(
                ctx.services,
                case_id=case_id,
                actor=actor,
                channel=ctx.channel_id,
                via=Via.COMMAND,
            ),
        )
        if isinstance(result, FormResult) and result.view is not None:
            ctx.client.views_open(trigger_id=ctx.trigger_id, view=result.view)
    except SlackApiError:
        _move(ctx, case_id, Action.RESOLVE, None)
    except Exception:
        log.exception("opening the resolution note of %s failed", case_key(case_id))


def handle_move(ctx: CommandContext) -> Reply:
    """Check the words, answer at once, move the case after the answer."""
    case_id = parse_case_key(ctx.args[0]) if ctx.args else None
    action = parse_action(ctx.args[1]) if len(ctx.args) > 1 else None
    if case_id is None or action is None:
        words = ", ".join(f"`{a.value}`" for a in Action)
        return Reply(text=f"Usage: `{MOVE_USAGE}`. Actions: {words}.")
    reason = " ".join(ctx.args[2:]) or None
    if error := pii_error(reason):
        return Reply(text=f":no_entry: Not moved, the reason is kept in the case log: {error}")
    if action is Action.RESOLVE:  # the note form first (issue 13)
        ctx.services.listener_executor.submit(_resolve, ctx, case_id)
        return Reply(text=f"Opening the resolution note for ESC-{case_id}…")
    ctx.services.listener_executor.submit(_move, ctx, case_id, action, reason)
    return Reply(text=f"Asked to {action.label} ESC-{case_id}; the case thread will say.")
