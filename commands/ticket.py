"""`/escalate ticket ESC-42 <vendor ticket>`: record the vendor's ticket number on a case.

The same update as the root message's **Add update** form, typed: only the case's tier
responders may do it. Membership look-ups may take longer than Slack's 3 seconds, so the answer
goes first and the work runs on the listener executor (which shutdown waits for); the case
thread (or a denial only the asker sees) says how it went.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from commands.subcommands import CommandContext, Reply
from slackbot.domain.cases import case_key, parse_case_key
from slackbot.domain.mrkdwn import escape
from slackbot.domain.status_machine import Via
from slackbot.domain.updates import Update, validate_update
from slackbot.usecases.actors import with_members
from slackbot.usecases.case_change import Outcome
from slackbot.usecases.cases import find_case
from slackbot.usecases.updates import add_update

log = logging.getLogger(__name__)

TICKET_USAGE = "/escalate ticket ESC-42 <vendor ticket>"
USAGE_TEXT = f"Usage: `{TICKET_USAGE}`, e.g. `/escalate ticket ESC-42 12345`."


def _record(ctx: CommandContext, case_id: int, update: Update) -> None:
    """Record the update (after the ack); tell the asker only when nothing else will."""
    services = ctx.services
    try:
        result = with_members(
            services,
            ctx.user_id,
            lambda actor: add_update(
                services, case_id=case_id, actor=actor, update_=update, via=Via.COMMAND
            ),
        )
    except Exception:
        log.exception("recording a vendor ticket on %s failed", case_key(case_id))
        result = None
    # APPLIED posts in the case thread and DENIED sends the denial: both through the outbox.
    if result is not None and result.outcome in (Outcome.APPLIED, Outcome.DENIED):
        return
    _tell(
        ctx,
        f":warning: Could not record the vendor ticket on {case_key(case_id)} just now; "
        "nothing changed. Try again in a minute.",
    )


def _tell(ctx: CommandContext, text: str) -> None:
    try:
        ctx.client.chat_postEphemeral(channel=ctx.channel_id, user=ctx.user_id, text=text)
    except SlackApiError:
        log.warning("could not tell %s about a failed ticket update", ctx.user_id)


def handle_ticket(ctx: CommandContext) -> Reply:
    """Check the words and the case, answer at once, record the ticket after the answer."""
    case_id = parse_case_key(ctx.args[0]) if ctx.args else None
    ticket = " ".join(ctx.args[1:])
    if case_id is None or not ticket:
        return Reply(text=USAGE_TEXT)
    update, errors = validate_update({"vendor_ticket": ticket})
    if update is None:
        why = errors.get("vendor_ticket") or next(iter(errors.values()))
        return Reply(text=f":warning: {why} Nothing changed. {USAGE_TEXT}")
    if find_case(ctx.services, case_id) is None:
        return Reply(text=f"There is no case {case_key(case_id)}. {USAGE_TEXT}")
    # Slack wants its answer within 3 seconds; membership look-ups may be slower.
    ctx.services.listener_executor.submit(_record, ctx, case_id, update)
    return Reply(
        text=f"Recording vendor ticket {escape(update.vendor_ticket)} on {case_key(case_id)}; "
        "the case thread will say."
    )
