"""The `/escalate` subcommand vocabulary: what a handler gets, what it answers, and dispatch.

The composition root (slackbot.wiring) lists the subcommands in `services.subcommands`; the
slash command itself (commands.escalate) only parses and dispatches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from slackbot.render import blocks
from slackbot.services import Services

#: Subcommands that the help text lists in its own words rather than in the extra list.
BUILTIN = frozenset({"help", "list", "show"})


@dataclass(frozen=True)
class CommandContext:
    """What a subcommand handler gets: who, where, the words after the subcommand."""

    services: Services
    user_id: str
    channel_id: str
    trigger_id: str
    args: list[str]
    client: WebClient


@dataclass(frozen=True)
class Reply:
    """An ephemeral answer, or a modal to open."""

    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    view: dict[str, Any] | None = None


@dataclass(frozen=True)
class Subcommand:
    """One `/escalate <name>` subcommand."""

    name: str
    usage: str
    summary: str
    handler: Callable[[CommandContext], Reply]


def help_text(services: Services) -> str:
    """The help text, with every subcommand."""
    extra = [
        (sub.usage, sub.summary)
        for name, sub in services.subcommands.items()
        if name not in BUILTIN
    ]
    return blocks.build_help(services.playbooks, extra)


def handle_help(ctx: CommandContext) -> Reply:
    """`/escalate help`."""
    return Reply(text=help_text(ctx.services))


def dispatch(ctx: CommandContext, word: str) -> Reply:
    """Answer `/escalate <word> …`: a playbook's form, a subcommand, or the help text."""
    playbooks = ctx.services.playbooks
    if not word:
        if len(playbooks) == 1:
            playbook = next(iter(playbooks))
            return Reply(view=blocks.build_intake_modal(playbook, origin_channel=ctx.channel_id))
        return Reply(view=blocks.build_playbook_picker(playbooks, origin_channel=ctx.channel_id))
    playbook = playbooks.get(word)
    if playbook is not None:
        return Reply(view=blocks.build_intake_modal(playbook, origin_channel=ctx.channel_id))
    subcommand = ctx.services.subcommands.get(word)
    if subcommand is None:
        return Reply(text=f"I don't know `{word[:30]}`.\n" + help_text(ctx.services))
    return subcommand.handler(ctx)
