"""The Add update modal: a note, the vendor's ticket number or status, checked then recorded."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from slackbot.domain.updates import validate_update
from slackbot.listeners.parse import int_or_none, metadata
from slackbot.render.blocks import field_errors, parse_view_state
from slackbot.services import Services
from slackbot.usecases.actors import with_members
from slackbot.usecases.updates import add_update


def handle_add_update_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Refuse bad input in the form; record the update once the form closes."""
    values = parse_view_state(view["state"]["values"])
    update, errors = validate_update(values)
    if errors:
        ack(response_action="errors", errors=field_errors(errors))
        return
    ack()
    services: Services = context["services"]
    case_id = int_or_none(metadata(view).get("case_id")) or 0
    with_members(
        services,
        body["user"]["id"],
        lambda actor: add_update(services, case_id=case_id, actor=actor, update_=update),
    )
