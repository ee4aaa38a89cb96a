"""The emergency modal: the criteria are checked, then the page is recorded before it closes."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext

from slackbot.domain import emergency as em
from slackbot.listeners.parse import metadata
from slackbot.render.blocks import parse_view_state
from slackbot.render.emergency_blocks import FORM_KEYS
from slackbot.render.ids import EmergencyBlock
from slackbot.services import Services
from slackbot.usecases import emergency

log = logging.getLogger(__name__)

_BLOCK_OF = {key: block for block, key in FORM_KEYS.items()}
COULD_NOT_RECORD = (
    "Could not record the page just now: press Page on-call again (or call the escalation "
    "contacts)."
)


def _form_errors(services: Services, playbook, raw: dict[str, Any]):
    """(parsed form, errors by block id)."""
    result = em.parse_emergency_form(playbook, raw)
    errors = {_BLOCK_OF[key]: message for key, message in result.errors.items()}
    case_id = result.report.case_id if result.ok else None
    if case_id is not None and emergency.case_exists(services, case_id) is None:
        errors[EmergencyBlock.CASE] = f"There is no case ESC-{case_id}: leave it empty to open one."
    return result, errors


def handle_emergency_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Page on-call if production is confirmed down; otherwise say why not, in the modal."""
    services: Services = context["services"]
    meta = metadata(view)
    raw = {
        FORM_KEYS.get(block, block): value
        for block, value in parse_view_state(view["state"]["values"]).items()
    }
    playbook = services.playbooks.get(meta.get("playbook") or raw.get("playbook") or "")
    if playbook is None or playbook.emergency is None:
        ack(
            response_action="errors",
            errors={EmergencyBlock.CRITERIA: "Choose a partner with an emergency route."},
        )
        return
    result, errors = _form_errors(services, playbook, raw)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    try:
        # Recorded before the modal closes: if storing fails, nothing vanishes unsaid.
        emergency.page_on_call(
            services,
            playbook=playbook,
            report=result.report,
            user_id=body["user"]["id"],
            origin_channel=meta.get("channel") or None,
            kick=False,
        )
    except emergency.NotPaged as exc:
        ack(response_action="errors", errors={EmergencyBlock.CRITERIA: str(exc)})
        return
    except Exception:
        log.exception("could not record a page")
        ack(response_action="errors", errors={EmergencyBlock.CRITERIA: COULD_NOT_RECORD})
        return
    ack()
    services.outbox.kick()
