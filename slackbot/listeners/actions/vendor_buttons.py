"""The case's vendor buttons (draft a hand-off, reopen, escalations, not their issue) and the
preview's Send / Edit / View full email. A refusal (`DraftError`) reaches the presser through
the error handler; everything else is said through the outbox by the use cases."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from slackbot.domain.handoff import Purpose
from slackbot.domain.status_machine import Action
from slackbot.listeners.parse import int_or_none, user_and_channel
from slackbot.render.email_blocks import build_edit_modal, build_not_vendor_modal
from slackbot.render.ids import VendorAction
from slackbot.services import Services
from slackbot.usecases import vendor_email
from slackbot.usecases.actors import with_members
from slackbot.usecases.move_check import case_if_may

#: The vendor buttons that ask for a draft, and of what.
DRAFT_BUTTONS = {
    VendorAction.PREVIEW_HANDOFF: Purpose.HANDOFF,
    VendorAction.REOPEN: Purpose.REOPEN,
    VendorAction.LEADERSHIP: Purpose.LEADERSHIP,
    VendorAction.TECHNICAL: Purpose.TECHNICAL,
}


def handle_draft_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], context):
    """Ask for a draft of the email the button names (who may is the use case's rule)."""
    ack()
    case_id = int_or_none(action.get("value"))
    if case_id is None:
        return
    services: Services = context["services"]
    user, channel = user_and_channel(body)
    purpose = DRAFT_BUTTONS[VendorAction(action["action_id"])]
    with_members(
        services,
        user,
        lambda actor: vendor_email.ask_for_draft(
            services, case_id=case_id, purpose=purpose, actor=actor, channel=channel
        ),
    )


def _on_draft(body: dict[str, Any], action: dict[str, Any], context: BoltContext, use_case):
    """Run `use_case(services, draft_id=…, actor=…, channel=…)` for the button's draft."""
    draft_id = int_or_none(action.get("value"))
    if draft_id is None:
        return
    services: Services = context["services"]
    user, channel = user_and_channel(body)
    with_members(
        services,
        user,
        lambda actor: use_case(services, draft_id=draft_id, actor=actor, channel=channel),
    )


def handle_send(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext):
    """Send the previewed draft (who may is the use case's rule)."""
    ack()
    _on_draft(body, action, context, vendor_email.send_draft)


def handle_view(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext):
    """Show the whole email, contact details included, to the presser only."""
    ack()
    _on_draft(body, action, context, vendor_email.view_draft)


def handle_edit(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
):
    """Open the draft's edit form, prefilled, for who may act on the case only."""
    ack()
    draft_id = int_or_none(action.get("value"))
    if draft_id is None:
        return
    user, channel = user_and_channel(body)
    found = vendor_email.open_for_edit(
        context["services"], draft_id=draft_id, user_id=user, channel=channel
    )
    if found is None:
        return  # denied (and told), or Slack would not say who may act
    draft, case, playbook = found
    # A modal must open within the trigger's 3 seconds: a UI answer, not an outbox item.
    view = build_edit_modal(draft, case, playbook)
    view["private_metadata"] = json.dumps({"draft_id": draft.id, "channel": channel})
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_not_vendor_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
):
    """Open the form for the vendor's notes on why it is not their issue, for who may make
    the move only (checked before the form opens)."""
    ack()
    case_id = int_or_none(action.get("value"))
    if case_id is None:
        return
    user, channel = user_and_channel(body)
    case = case_if_may(
        context["services"],
        case_id=case_id,
        what=Action.NOT_VENDOR_ISSUE.value,
        user_id=user,
        channel=channel,
    )
    if case is None:
        return  # no such case, or denied (and told)
    view = build_not_vendor_modal(case)
    view["private_metadata"] = json.dumps({"case_id": case.id, "channel": channel})
    client.views_open(trigger_id=body["trigger_id"], view=view)
