"""Reactions on a case's root message or any message of its thread: the one path for
`reaction_added` (a page acknowledgement, then the status move) and `reaction_removed` (undo)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext

from slackbot.domain.status_machine import Action, Via
from slackbot.services import Services
from slackbot.usecases.actors import with_members
from slackbot.usecases.cases import action_for_reaction, case_for_reaction
from slackbot.usecases.emergency_watch import acknowledge_by_reaction
from slackbot.usecases.message_cases import offer_from_reaction
from slackbot.usecases.move_case import move_case
from slackbot.usecases.undo import undo_reaction
from storage.models import Case

log = logging.getLogger(__name__)


def reaction_name(event: dict[str, Any]) -> str:
    """The emoji's name without its skin tone: "+1::skin-tone-2" is still "+1"."""
    return str(event.get("reaction") or "").split("::", 1)[0]


def _by_a_person(event: dict[str, Any], context: BoltContext) -> bool:
    item = event.get("item") or {}
    user = event.get("user")
    return item.get("type") == "message" and bool(user) and user != context.bot_user_id


def _acknowledge_page(services: Services, event: dict[str, Any], case: Case) -> None:
    """An "acknowledge" emoji by who may answer the page also acknowledges it, whatever the
    move does (`case`: the message's, as already read)."""
    item = event["item"]
    try:
        with_members(
            services,
            event["user"],
            lambda actor: acknowledge_by_reaction(
                services,
                channel_id=item.get("channel", ""),
                ts=item.get("ts", ""),
                actor=actor,
                reaction=event.get("reaction", ""),
                case=case,
            ),
        )
    except Exception:
        log.exception("could not acknowledge a page from a reaction")


def handle_reaction_added(event: dict[str, Any], body: dict[str, Any], context: BoltContext):
    """Acknowledge a page if the emoji says so, then move the case as the emoji says."""
    if not _by_a_person(event, context):
        return
    services: Services = context["services"]
    item = event["item"]
    reaction = reaction_name(event)
    # One read of the message's case for both: an emoji that does nothing to it (or a message
    # of no case) acknowledges no page either.
    found = case_for_reaction(
        services, channel_id=item.get("channel", ""), ts=item.get("ts", ""), reaction=reaction
    )
    if found is None:  # unknown emoji, or a message that belongs to no case
        # …unless it is an intake channel's intake emoji: offer to make the message a case.
        offer_from_reaction(
            services,
            user=event["user"],
            channel=item.get("channel", ""),
            ts=item.get("ts", ""),
            reaction=reaction,
            event_id=body.get("event_id"),
        )
        return
    case, action = found
    if action is Action.ACKNOWLEDGE:
        _acknowledge_page(services, event, case)
    case_id = case.id
    with_members(
        services,
        event["user"],
        lambda actor: move_case(
            services,
            case_id=case_id,
            action=action,
            actor=actor,
            via=Via.REACTION,
            event_id=body.get("event_id"),
            reaction=reaction,
            item_ts=item.get("ts"),
        ),
    )


def handle_reaction_removed(event: dict[str, Any], body: dict[str, Any], context: BoltContext):
    """Removing the emoji that made the latest move undoes it."""
    if not _by_a_person(event, context):
        return
    services: Services = context["services"]
    item = event["item"]
    reaction = reaction_name(event)
    found = action_for_reaction(
        services, channel_id=item.get("channel", ""), ts=item.get("ts", ""), reaction=reaction
    )
    if found is None:
        return
    with_members(
        services,
        event["user"],
        lambda actor: undo_reaction(
            services,
            channel_id=item["channel"],
            item_ts=item["ts"],
            reaction=reaction,
            actor=actor,
            event_id=body.get("event_id"),
        ),
    )
