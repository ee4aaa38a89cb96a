"""`/escalate inquiry`'s modals: pick the playbook, then log the inquiry (no case, no thread)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from slackbot.domain.intake_sources import validate_inquiry
from slackbot.listeners.parse import metadata
from slackbot.render import blocks
from slackbot.render.ids import field_block_id
from slackbot.render.intake_sources import build_inquiry_logged, build_inquiry_modal
from slackbot.services import Services
from slackbot.usecases.inquiries import log_inquiry
from slackbot.usecases.notices import tell


def handle_pick_inquiry(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
    """Swap the picker for the chosen playbook's inquiry form."""
    services: Services = context["services"]
    values = blocks.parse_view_state(view["state"]["values"])
    playbook = services.playbooks.get(values.get("playbook") or "")
    if playbook is None:
        ack(response_action="errors", errors={field_block_id("playbook"): "Choose one."})
        return
    ack(response_action="update", view=build_inquiry_modal(playbook))


def handle_inquiry(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext):
    """Check the form (PII guard included) and log the inquiry; the asker gets a short thanks."""
    services: Services = context["services"]
    playbook = services.playbooks.get(metadata(view).get("playbook", ""))
    if playbook is None:
        ack(response_action="errors", errors={field_block_id("topic"): "Start again."})
        return
    form = validate_inquiry(playbook, blocks.parse_view_state(view["state"]["values"]))
    if form.errors:
        ack(response_action="errors", errors=blocks.field_errors(form.errors))
        return
    user = body["user"]["id"]
    log_inquiry(services, playbook=playbook, values=form.values, user_id=user)
    ack()
    tell(
        services,
        user=user,
        channel=None,
        text=build_inquiry_logged(playbook, form.values["category"]),
    )
