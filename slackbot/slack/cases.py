"""The Slack edge for working a case: reactions, thread replies, root-message buttons and the
Add update modal. Listeners ack first, fetch who may act (user group or channel members), then
call the use cases in slackbot.usecases.move_case; everything they say goes through the outbox.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from slackbot.domain.cases import parse_case_key
from slackbot.domain.clock import Clock
from slackbot.domain.status_machine import Action, Responders, Via, parse_action
from slackbot.domain.updates import validate_update
from slackbot.services import Services
from slackbot.slack.blocks import field_errors, parse_view_state
from slackbot.slack.case_blocks import BUTTON_ACTIONS, build_add_update_modal
from slackbot.slack.ids import CaseAction, CaseView
from slackbot.usecases.move_case import (
    Actor,
    Outcome,
    Result,
    add_update,
    move_case,
    prune_processed_events,
    record_reply,
    undo_reaction,
)
from storage.repositories import case_for_message, get_case

log = logging.getLogger(__name__)

#: Message subtypes that are a person saying something in a thread; all others are ignored
#: (edits, deletions, joins, bot messages, ...).
REPLY_SUBTYPES = (None, "thread_broadcast", "file_share")


class MemberDirectory:
    """Fetches who belongs to a user group or a channel (Slack's retry handlers honour 429).

    Lists are kept for a minute: usergroups.users.list is a tier 2 method (about 20 calls a
    minute), and a busy thread reacts more often than that.
    """

    TTL = timedelta(minutes=1)

    def __init__(self, client: WebClient, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self._cache: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members(self, responders: Responders) -> frozenset[str]:
        """The user ids of a tier's responders."""
        key = responders.usergroup or f"#{responders.channel}"
        now = self.clock.now()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        members = self._fetch(responders)
        with self._lock:
            self._cache[key] = (now + self.TTL, members)
        return members

    def _fetch(self, responders: Responders) -> frozenset[str]:
        if responders.usergroup:
            response = self.client.usergroups_users_list(usergroup=responders.usergroup)
            return frozenset(response.get("users") or [])
        if not responders.channel:
            return frozenset()
        members: set[str] = set()
        cursor = None
        while True:
            response = self.client.conversations_members(
                channel=responders.channel, limit=1000, cursor=cursor
            )
            members.update(response.get("members") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return frozenset(members)


def with_members(
    services: Services, user_id: str, call: Callable[[Actor], Result]
) -> Result | None:
    """Run `call`, fetching the memberships it asks for; None if Slack would not tell us."""
    directory: MemberDirectory = services.extras["member_directory"]
    members: dict[int, frozenset[str]] = {}
    result = call(Actor(user_id, members))
    for _ in range(3):
        if result.outcome is not Outcome.NEEDS_MEMBERS or result.needs is None:
            return result
        try:
            members[result.needs.tier] = directory.members(result.needs)
        except SlackApiError as exc:
            log.warning(
                "could not list tier %s responders: %s",
                result.needs.tier,
                exc.response.get("error") if exc.response else "error",
            )
            return None
        result = call(Actor(user_id, dict(members)))
    return result


MOVE_USAGE = "/escalate move ESC-42 <acknowledge|wait|escalate|resolve|reopen|…> [why]"


def _move_subcommand(services: Services):
    """`/escalate move ESC-42 resolve [why]`: the same moves for people who prefer typing."""
    from commands.escalate import CommandContext, Reply

    def handle_move(ctx: CommandContext) -> Reply:
        case_id = parse_case_key(ctx.args[0]) if ctx.args else None
        action = parse_action(ctx.args[1]) if len(ctx.args) > 1 else None
        if case_id is None or action is None:
            words = ", ".join(f"`{a.value}`" for a in Action)
            return Reply(text=f"Usage: `{MOVE_USAGE}`. Actions: {words}.")
        reason = " ".join(ctx.args[2:]) or None

        def work() -> None:
            with_members(
                services,
                ctx.user_id,
                lambda actor: move_case(
                    services,
                    case_id=case_id,
                    action=action,
                    actor=actor,
                    via=Via.COMMAND,
                    reason=reason,
                    reply_to=ctx.channel_id,
                ),
            )

        # Slack wants its answer within 3 seconds; membership look-ups may be slower.
        threading.Thread(target=work, name=f"move-ESC-{case_id}", daemon=True).start()
        return Reply(text=f"Asked to {action.label} ESC-{case_id}; the case thread will say.")

    return handle_move


def _reaction_name(event: dict[str, Any]) -> str:
    # "+1::skin-tone-2" is still "+1".
    return str(event.get("reaction") or "").split("::", 1)[0]


def register(app: App, services: Services) -> None:
    """Register reaction, message, button and modal listeners, and the event-id pruning job."""
    services.extras["member_directory"] = MemberDirectory(services.slack, services.clock)

    def _action_for(channel_id: str, ts: str, reaction: str) -> tuple[int, Action] | None:
        with Session(services.engine) as session:
            case = case_for_message(session, channel_id=channel_id, ts=ts)
        if case is None:
            return None
        playbook = services.playbooks.get(case.playbook_id)
        name = playbook.reaction_map.get(reaction) if playbook else None
        return (case.id, Action(name)) if name else None

    def handle_reaction_added(event: dict[str, Any], body: dict[str, Any], context: BoltContext):
        item = event.get("item") or {}
        user = event.get("user")
        if item.get("type") != "message" or not user or user == context.bot_user_id:
            return
        found = _action_for(item.get("channel", ""), item.get("ts", ""), _reaction_name(event))
        if found is None:  # unknown emoji, or a message that belongs to no case
            return
        case_id, action = found
        with_members(
            services,
            user,
            lambda actor: move_case(
                services,
                case_id=case_id,
                action=action,
                actor=actor,
                via=Via.REACTION,
                event_id=body.get("event_id"),
                reaction=_reaction_name(event),
                item_ts=item.get("ts"),
            ),
        )

    def handle_reaction_removed(event: dict[str, Any], body: dict[str, Any], context: BoltContext):
        item = event.get("item") or {}
        user = event.get("user")
        if item.get("type") != "message" or not user or user == context.bot_user_id:
            return
        reaction = _reaction_name(event)
        if _action_for(item.get("channel", ""), item.get("ts", ""), reaction) is None:
            return
        with_members(
            services,
            user,
            lambda actor: undo_reaction(
                services,
                channel_id=item["channel"],
                item_ts=item["ts"],
                reaction=reaction,
                actor=actor,
                event_id=body.get("event_id"),
            ),
        )

    def handle_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext):
        if event.get("subtype") not in REPLY_SUBTYPES or event.get("bot_id"):
            return
        user, thread_ts, ts = event.get("user"), event.get("thread_ts"), event.get("ts")
        if not user or user == context.bot_user_id or not thread_ts or thread_ts == ts:
            return
        files = [
            {key: item.get(key) for key in ("id", "name", "mimetype")}
            for item in event.get("files") or []
        ]
        record_reply(
            services,
            channel_id=event.get("channel", ""),
            thread_ts=thread_ts,
            ts=ts,
            user=user,
            text=event.get("text") or "",
            event_id=body.get("event_id"),
            files=files or None,
        )

    def handle_case_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]):
        ack()
        try:
            case_id = int(action.get("value") or "")
        except ValueError:
            return
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id")
        with_members(
            services,
            user,
            lambda actor: move_case(
                services,
                case_id=case_id,
                action=BUTTON_ACTIONS[CaseAction(action["action_id"])],
                actor=actor,
                via=Via.BUTTON,
                reply_to=channel,
            ),
        )

    def handle_add_update_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ):
        ack()
        try:
            case_id = int(action.get("value") or "")
        except ValueError:
            return
        with Session(services.engine) as session:
            case = get_case(session, case_id=case_id)
        if case is None:
            return
        # A modal must open within the trigger's 3 seconds: a UI answer, not an outbox item.
        client.views_open(trigger_id=body["trigger_id"], view=build_add_update_modal(case))

    def handle_add_update_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]):
        values = parse_view_state(view["state"]["values"])
        update, errors = validate_update(values)
        if errors:
            ack(response_action="errors", errors=field_errors(errors))
            return
        ack()
        case_id = int(json.loads(view.get("private_metadata") or "{}").get("case_id", 0))
        with_members(
            services,
            body["user"]["id"],
            lambda actor: add_update(services, case_id=case_id, actor=actor, update_=update),
        )

    app.event("reaction_added")(handle_reaction_added)
    app.event("reaction_removed")(handle_reaction_removed)
    app.event("message")(handle_message)
    for action_id in BUTTON_ACTIONS:
        app.action(action_id.value)(handle_case_button)
    app.action(CaseAction.ADD_UPDATE.value)(handle_add_update_button)
    app.view(CaseView.ADD_UPDATE.value)(handle_add_update_submission)
    services.extras.setdefault("jobs", {})["processed_events"] = prune_processed_events
    escalate = services.extras.get("escalate")
    if escalate is not None:
        from commands.escalate import Subcommand

        escalate.add(
            Subcommand(
                "move",
                MOVE_USAGE,
                "move a case (same as its reactions)",
                _move_subcommand(services),
            )
        )
