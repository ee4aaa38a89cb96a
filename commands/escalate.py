"""`/escalate`: open a case through a modal, and the subcommands around cases.

`/escalate` → pick a playbook, then its form; `/escalate <playbook>` → its form straight away;
`help`, `list [all]`, `show ESC-42`. Other features add subcommands through
`EscalateCommand.add` (e.g. `ticket`, `contacts`, `overdue`); unknown words get the help text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from slackbot.domain.cases import parse_case_key
from slackbot.domain.intake import validate_intake
from slackbot.services import Services
from slackbot.slack import blocks
from slackbot.slack.ids import BlockId, CallbackId
from slackbot.usecases.open_case import Requester, open_case
from storage.repositories import case_events, get_case, open_cases

log = logging.getLogger(__name__)


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


@dataclass
class EscalateCommand:
    """The `/escalate` dispatcher with its subcommand registry."""

    services: Services
    subcommands: dict[str, Subcommand] = field(default_factory=dict)

    def add(self, subcommand: Subcommand) -> None:
        """Register a subcommand (features call this from their own `register`)."""
        self.subcommands[subcommand.name] = subcommand

    def help_text(self) -> str:
        """The help text, with every registered subcommand."""
        builtin = {"help", "list", "show"}
        extra = [
            (sub.usage, sub.summary)
            for name, sub in self.subcommands.items()
            if name not in builtin
        ]
        return blocks.build_help(self.services.playbooks, extra)

    def dispatch(self, ctx: CommandContext, word: str) -> Reply:
        """Answer `/escalate <word> …`."""
        if not word:
            if len(self.services.playbooks) == 1:
                playbook = next(iter(self.services.playbooks))
                return Reply(
                    view=blocks.build_intake_modal(playbook, origin_channel=ctx.channel_id)
                )
            return Reply(
                view=blocks.build_playbook_picker(
                    self.services.playbooks, origin_channel=ctx.channel_id
                )
            )
        playbook = self.services.playbooks.get(word)
        if playbook is not None:
            return Reply(view=blocks.build_intake_modal(playbook, origin_channel=ctx.channel_id))
        subcommand = self.subcommands.get(word)
        if subcommand is None:
            return Reply(text=f"I don't know `{word[:30]}`.\n" + self.help_text())
        return subcommand.handler(ctx)


def _help(command: EscalateCommand) -> Callable[[CommandContext], Reply]:
    return lambda ctx: Reply(text=command.help_text())


def handle_list(ctx: CommandContext) -> Reply:
    """`/escalate list [all]`: your open cases, or everyone's."""
    everyone = bool(ctx.args) and ctx.args[0].lower() == "all"
    with Session(ctx.services.engine) as session:
        cases = open_cases(session, user_id=None if everyone else ctx.user_id)
    heading = "Open cases" if everyone else "Your open cases"
    return Reply(text=blocks.build_case_list(cases, ctx.services.playbooks, heading=heading))


def handle_show(ctx: CommandContext) -> Reply:
    """`/escalate show ESC-42`: one case and its history."""
    case_id = parse_case_key(ctx.args[0]) if ctx.args else None
    if case_id is None:
        return Reply(text="Say which case, e.g. `/escalate show ESC-42`.")
    with Session(ctx.services.engine) as session:
        case = get_case(session, case_id=case_id)
        events = case_events(session, case_id=case_id) if case else []
    if case is None:
        return Reply(text=f"There is no case ESC-{case_id}.")
    delivery = ctx.services.extras.get("slack_delivery")
    permalink = delivery.permalink(case) if delivery else None
    playbook = ctx.services.playbooks.get(case.playbook_id)
    return Reply(text=blocks.build_case_show(case, playbook, events, permalink))


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}


def register(app: App, services: Services) -> EscalateCommand:
    """Register `/escalate`, its modals and its built-in subcommands."""
    command = EscalateCommand(services)
    command.add(Subcommand("help", "/escalate help", "this text", _help(command)))
    command.add(Subcommand("list", "/escalate list [all]", "open cases", handle_list))
    command.add(Subcommand("show", "/escalate show ESC-42", "one case", handle_show))
    services.extras["escalate"] = command

    def handle_escalate(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
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
            reply = command.dispatch(ctx, words[0].lower() if words else "")
        except Exception:
            log.exception("/escalate failed")
            ack(text=":warning: Something went wrong on our side; nothing was changed. Try again.")
            return
        if reply.view is None:
            ack(text=reply.text, blocks=reply.blocks)
            return
        ack()
        client.views_open(trigger_id=ctx.trigger_id, view=reply.view)

    def handle_pick_playbook(ack: Ack, view: dict[str, Any]) -> None:
        values = blocks.parse_view_state(view["state"]["values"])
        playbook = services.playbooks.get(values.get(BlockId.PLAYBOOK) or "")
        if playbook is None:
            ack(response_action="errors", errors={BlockId.PLAYBOOK: "Choose an escalation path."})
            return
        origin = _metadata(view).get("channel", "")
        ack(
            response_action="update",
            view=blocks.build_intake_modal(playbook, origin_channel=origin),
        )

    def handle_intake(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        metadata = _metadata(view)
        playbook = services.playbooks.get(metadata.get("playbook", ""))
        if playbook is None:
            ack(
                response_action="errors",
                errors={"f_summary": "This escalation path no longer exists: start again."},
            )
            return
        raw = blocks.parse_view_state(view["state"]["values"])
        result = validate_intake(playbook, raw, services.clock.now())
        if not result.ok:
            ack(response_action="errors", errors=blocks.field_errors(result.errors))
            return
        try:
            # Stored before the modal closes: if the database fails, the form stays open with
            # everything typed, instead of vanishing with nothing saved.
            open_case(
                services,
                playbook=playbook,
                values=result.values,
                requester=Requester(body["user"]["id"], metadata.get("channel") or None),
                kick=False,
            )
        except Exception:
            log.exception("could not store a new case")
            ack(
                response_action="errors",
                errors={"f_summary": "Could not save the case just now: press Open case again."},
            )
            return
        ack()
        services.outbox.kick()

    app.command("/escalate")(handle_escalate)
    app.view(CallbackId.PICK_PLAYBOOK.value)(handle_pick_playbook)
    app.view(CallbackId.INTAKE.value)(handle_intake)
    return command
