"""The root message's status buttons and its Add update button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from slackbot.domain.status_machine import Via
from slackbot.domain.vocabulary import EventKind
from slackbot.listeners.actions.resolution_buttons import open_resolution_form
from slackbot.listeners.parse import int_or_none, user_and_channel
from slackbot.render.case_blocks import BUTTON_ACTIONS, build_add_update_modal
from slackbot.render.ids import CaseAction
from slackbot.services import Services
from slackbot.usecases.actors import with_members
from slackbot.usecases.move_case import move_case
from slackbot.usecases.move_check import case_if_may


def handle_case_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], context):
    """Move the case as the button says (the same rule as the reactions)."""
    ack()
    case_id = int_or_none(action.get("value"))
    if case_id is None:
        return
    services: Services = context["services"]
    user, channel = user_and_channel(body)
    if action["action_id"] == CaseAction.RESOLVE:  # the note form first (issue 13)
        open_resolution_form(
            services,
            context.client,
            case_id=case_id,
            user=user,
            channel=channel,
            trigger_id=body["trigger_id"],
        )
        return
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
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
):
    """Open the Add update form, for who may add an update only (checked before it opens)."""
    ack()
    case_id = int_or_none(action.get("value"))
    if case_id is None:
        return
    user, channel = user_and_channel(body)
    case = case_if_may(
        context["services"],
        case_id=case_id,
        what=EventKind.UPDATE.value,
        user_id=user,
        channel=channel,
    )
    if case is None:
        return  # no such case, or denied (and told)
    # A modal must open within the trigger's 3 seconds: a UI answer, not an outbox item.
    client.views_open(trigger_id=body["trigger_id"], view=build_add_update_modal(case))
