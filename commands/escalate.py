"""`/escalate`: open a case through a modal, and the subcommands around cases.

`/escalate` → pick a playbook, then its form; `/escalate <playbook>` → its form straight away;
`help`, `list [all]`, `show ESC-42` and the subcommands the composition root lists; unknown
words get the help text. Thin: parse, dispatch, answer.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from commands.subcommands import CommandContext, Reply, dispatch
from slackbot.domain.cases import parse_case_key
from slackbot.render import blocks, case_blocks
from slackbot.services import Services
from slackbot.usecases import cases
from slackbot.usecases.slack_posts import permalink

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = ":warning: Something went wrong on our side; nothing was changed. Try again."


def handle_escalate(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext):
    """`/escalate [word …]`: answer ephemerally, or open the modal the words ask for."""
    services: Services = context["services"]
    words = (body.get("text") or "").split()
    ctx = CommandContext(
        services=services,
        user_id=body["user_id"],
        channel_id=body.get("channel_id", ""),
        trigger_id=body.get("trigger_id", ""),
        args=words[1:],
        client=client,
    )
    try:
        reply = dispatch(ctx, words[0].lower() if words else "")
    except Exception:
        log.exception("/escalate failed")
        ack(text=SOMETHING_WENT_WRONG)
        return
    if reply.view is None:
        ack(text=reply.text, blocks=reply.blocks)
        return
    ack()
    client.views_open(trigger_id=ctx.trigger_id, view=reply.view)


def handle_list(ctx: CommandContext) -> Reply:
    """`/escalate list [all]`: your open cases, or everyone's that you may see."""
    everyone = bool(ctx.args) and ctx.args[0].lower() == "all"
    if not everyone:
        found = cases.cases_open_for(ctx.services, ctx.user_id)
        return Reply(
            text=blocks.build_case_list(found, ctx.services.playbooks, heading="Your open cases")
        )
    visible, hidden = cases.open_cases_visible_to(ctx.services, ctx.user_id)
    text = blocks.build_case_list(visible, ctx.services.playbooks, heading="Open cases")
    return Reply(text=text + case_blocks.build_hidden_count(hidden))


def handle_show(ctx: CommandContext) -> Reply:
    """`/escalate show ESC-42`: one case and its history, for who may see it."""
    case_id = parse_case_key(ctx.args[0]) if ctx.args else None
    if case_id is None:
        return Reply(text="Say which case, e.g. `/escalate show ESC-42`.")
    history = cases.case_history(ctx.services, case_id, user_id=ctx.user_id)
    if history is None:
        return Reply(text=f"There is no case ESC-{case_id}.")
    if not history.visible:
        return Reply(text=case_blocks.build_case_hidden(history.case))
    link = permalink(ctx.services, history.case)
    return Reply(text=blocks.build_case_show(history.case, history.playbook, history.events, link))
