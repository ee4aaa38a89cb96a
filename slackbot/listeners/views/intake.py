"""The intake modals: pick a playbook, then its form; submitting stores the case."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext

from slackbot.domain.cases import case_key
from slackbot.domain.intake import validate_intake
from slackbot.domain.intake_sources import MessageSource, parse_triage, prefill_from_message
from slackbot.listeners.parse import metadata
from slackbot.render import blocks
from slackbot.render.ids import BlockId
from slackbot.render.intake_sources import TRIAGE_FIELD
from slackbot.services import Services
from slackbot.usecases.message_cases import case_made_from
from slackbot.usecases.open_case import Requester, open_case

log = logging.getLogger(__name__)


def handle_pick_playbook(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
    """Swap the picker for the chosen playbook's form."""
    services: Services = context["services"]
    values = blocks.parse_view_state(view["state"]["values"])
    playbook = services.playbooks.get(values.get(BlockId.PLAYBOOK) or "")
    if playbook is None:
        ack(response_action="errors", errors={BlockId.PLAYBOOK: "Choose an escalation path."})
        return
    meta = metadata(view)
    origin = meta.get("channel", "")
    source = MessageSource.from_metadata(meta.get("source"))
    prefill = prefill_from_message(playbook, meta.get("text")) if source else None
    form = blocks.build_intake_modal(
        playbook, origin_channel=origin, prefill=prefill, source=source
    )
    ack(response_action="update", view=form)


def handle_intake(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext):
    """Check the form, store the case before the modal closes, then post its thread."""
    services: Services = context["services"]
    meta = metadata(view)
    playbook = services.playbooks.get(meta.get("playbook", ""))
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
    source = MessageSource.from_metadata(meta.get("source"))
    existing = case_made_from(services, source) if source else None
    if existing is not None:
        ack(
            response_action="errors",
            errors={"f_summary": f"This message is already {case_key(existing.id)}."},
        )
        return
    try:
        # Stored before the modal closes: if the database fails, the form stays open with
        # everything typed, instead of vanishing with nothing saved.
        open_case(
            services,
            playbook=playbook,
            values=result.values,
            requester=Requester(body["user"]["id"], meta.get("channel") or None),
            kick=False,
            source=source,
            triage=parse_triage(raw.get(TRIAGE_FIELD)),
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
