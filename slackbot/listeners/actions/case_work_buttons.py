"""Issue 13's buttons: *Vendor needs info*, *Edit case*, *Assign* (a users select), and the
vendor row's *Engineering assessed*, the waiting technical escalation, *Request call-out* and
*Call-out confirmed*. Forms open at once (a trigger lasts 3 seconds); who may act is the use
cases' rule, checked when the form is submitted (*Edit case*: before its form opens)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from slackbot.domain.status_machine import Via
from slackbot.listeners.parse import int_or_none, user_and_channel
from slackbot.render import case_work_blocks
from slackbot.services import Services
from slackbot.usecases import case_work
from slackbot.usecases.actors import with_members
from slackbot.usecases.case_change import Outcome
from slackbot.usecases.cases import find_case

FORMS = {
    "needs_info": case_work_blocks.build_needs_info_modal,
    "assessment": case_work_blocks.build_assessment_modal,
    "callout": case_work_blocks.build_callout_modal,
    "details": case_work_blocks.build_send_details_modal,
}


def _open_form(body: dict[str, Any], action: dict[str, Any], client: WebClient, context, form):
    case_id = int_or_none(action.get("value"))
    case = find_case(context["services"], case_id) if case_id is not None else None
    if case is None:
        return
    # A modal must open within the trigger's 3 seconds: a UI answer, not an outbox item.
    client.views_open(trigger_id=body["trigger_id"], view=FORMS[form](case))


def handle_needs_info_button(ack: Ack, body, action, client: WebClient, context: BoltContext):
    """Open the form for what the vendor asked us for."""
    ack()
    _open_form(body, action, client, context, "needs_info")


def handle_assessed_button(ack: Ack, body, action, client: WebClient, context: BoltContext):
    """Open the form for our engineers' assessment."""
    ack()
    _open_form(body, action, client, context, "assessment")


def handle_request_callout_button(ack: Ack, body, action, client: WebClient, context: BoltContext):
    """Open the form for the call-out time to ask the vendor for."""
    ack()
    _open_form(body, action, client, context, "callout")


def handle_send_details_button(ack: Ack, body, action, client: WebClient, context: BoltContext):
    """Open the form for the details the vendor asked for (a reply email, previewed first)."""
    ack()
    _open_form(body, action, client, context, "details")


def handle_edit_case_button(ack: Ack, body, action, client: WebClient, context: BoltContext):
    """Open *Edit case*, prefilled, for the case's tier responders only."""
    ack()
    case_id = int_or_none(action.get("value"))
    if case_id is None:
        return
    services: Services = context["services"]
    user, channel = user_and_channel(body)
    result = with_members(
        services,
        user,
        lambda actor: case_work.may_edit(services, case_id=case_id, actor=actor, reply_to=channel),
    )
    case = find_case(services, case_id)
    playbook = services.playbooks.get(case.playbook_id) if case else None
    if result is None or result.outcome is not Outcome.APPLIED or playbook is None:
        return  # denied (and told), or Slack would not say who may act
    view = case_work_blocks.build_edit_case_modal(case, playbook)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_assign_select(ack: Ack, body, action, context: BoltContext):
    """Assign the case to the person picked in the root message's select."""
    ack()
    case_id = case_work_blocks.case_of_block(action.get("block_id"))
    assignee = action.get("selected_user")
    if case_id is None or not assignee:
        return
    services: Services = context["services"]
    user, channel = user_and_channel(body)
    with_members(
        services,
        user,
        lambda actor: case_work.assign_case(
            services,
            case_id=case_id,
            assignee=assignee,
            actor=actor,
            via=Via.BUTTON,
            reply_to=channel,
        ),
    )


def handle_technical_waits(ack: Ack, body, action, context: BoltContext):
    """Say why the technical escalation waits (our engineers assess first)."""
    ack()
    case_id = int_or_none(action.get("value"))
    if case_id is None:
        return
    user, channel = user_and_channel(body)
    case_work.explain_technical_wait(
        context["services"], case_id=case_id, user=user, channel=channel
    )


def handle_callout_confirmed(ack: Ack, body, action, context: BoltContext):
    """The vendor confirmed the call-out time we asked for."""
    ack()
    case_id = int_or_none(action.get("value"))
    if case_id is None:
        return
    services: Services = context["services"]
    user, channel = user_and_channel(body)
    with_members(
        services,
        user,
        lambda actor: case_work.confirm_callout(
            services, case_id=case_id, actor=actor, reply_to=channel
        ),
    )
