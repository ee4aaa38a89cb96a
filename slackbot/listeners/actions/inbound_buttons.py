"""Buttons on vendors' emails: Apply / Ignore a proposal, View full email, and on an unmatched
email's summary Attach to case (the case-id modal) / Ignore. Refusals (`InboundError`) reach
the presser through the error handler; everything else is said through the outbox."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from slackbot.listeners.parse import int_or_none, user_and_channel
from slackbot.render.ids import InboundAction
from slackbot.render.inbound_blocks import build_attach_modal
from slackbot.services import Services
from slackbot.usecases import inbound_decisions, inbound_reread, inbound_unmatched, resolve_case
from slackbot.usecases.actors import with_members
from slackbot.usecases.inbound_decisions import Pressed
from slackbot.usecases.move_case import Actor, Outcome


def _message_ts(body: dict[str, Any]) -> str | None:
    """The ts of the message the button is on (to edit it once decided)."""
    return (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")


def _pressed(body: dict[str, Any], actor: Actor) -> Pressed:
    _, channel = user_and_channel(body)
    return Pressed(actor=actor, channel=channel, message_ts=_message_ts(body))


def handle_proposal_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
) -> None:
    """Apply or ignore what a vendor's email proposed (the case's tier responders only)."""
    ack()
    inbound_id = int_or_none(action.get("value"))
    if inbound_id is None:
        return
    services: Services = context["services"]
    user, _ = user_and_channel(body)
    apply = action["action_id"] == InboundAction.APPLY
    result = with_members(
        services,
        user,
        lambda actor: inbound_decisions.decide_proposal(
            services,
            inbound_id=inbound_id,
            pressed=replace(_pressed(body, actor), opens_form=True),
            apply=apply,
        ),
    )
    if result is not None and result.outcome is Outcome.NEEDS_NOTE:  # "resolved": the note
        pressed = _pressed(body, Actor(user))
        view = resolve_case.proposal_note_view(
            services,
            case_id=result.case_id,
            inbound_id=inbound_id,
            channel=pressed.channel,
            ts=pressed.message_ts,
        )
        if view is not None:
            context.client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_view_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
) -> None:
    """Show the whole email, contact details included, to the presser only (audited)."""
    ack()
    inbound_id = int_or_none(action.get("value"))
    if inbound_id is None:
        return
    services: Services = context["services"]
    user, _ = user_and_channel(body)
    result = with_members(
        services,
        user,
        lambda actor: inbound_reread.may_view(
            services, inbound_id=inbound_id, pressed=_pressed(body, actor)
        ),
    )
    if result is not None and result.outcome is Outcome.APPLIED:
        inbound_reread.show_full_email(
            services, inbound_id=inbound_id, pressed=_pressed(body, Actor(user))
        )


def handle_attach_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Open the modal asking which case the unmatched email belongs to."""
    ack()
    inbound_id = int_or_none(action.get("value"))
    if inbound_id is None:
        return
    subject = inbound_unmatched.unmatched_subject(context["services"], inbound_id=inbound_id)
    _, channel = user_and_channel(body)
    # A modal must open within the trigger's 3 seconds: a UI answer, not an outbox item.
    client.views_open(
        trigger_id=body["trigger_id"],
        view=build_attach_modal(
            inbound_id=inbound_id, subject=subject, channel=channel, ts=_message_ts(body)
        ),
    )


def handle_dismiss_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
) -> None:
    """Ignore an unmatched email (it stays in the mailbox)."""
    ack()
    inbound_id = int_or_none(action.get("value"))
    if inbound_id is None:
        return
    user, _ = user_and_channel(body)
    inbound_unmatched.dismiss_unmatched(
        context["services"], inbound_id=inbound_id, pressed=_pressed(body, Actor(user))
    )
