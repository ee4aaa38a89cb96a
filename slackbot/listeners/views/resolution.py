"""The resolution note and rating forms: checked (PII guard included), then recorded."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from slackbot.domain.resolution import validate_rating, validate_resolution
from slackbot.listeners.parse import int_or_none, metadata
from slackbot.render.blocks import field_errors, parse_view_state
from slackbot.services import Services
from slackbot.usecases.actors import with_members
from slackbot.usecases.inbound_decisions import Pressed, decide_proposal
from slackbot.usecases.resolve_case import record_rating, resolve_with_note


def handle_resolution_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Refuse a bad note in the form; resolve the case once the form closes."""
    resolution, errors = validate_resolution(parse_view_state(view["state"]["values"]))
    if errors:
        ack(response_action="errors", errors=field_errors(errors))
        return
    ack()
    services: Services = context["services"]
    meta = metadata(view)
    case_id = int_or_none(meta.get("case_id")) or 0
    inbound_id = int_or_none(meta.get("inbound_id"))
    if inbound_id is not None:  # applying a vendor's "resolved": the proposal is decided too
        with_members(
            services,
            body["user"]["id"],
            lambda actor: decide_proposal(
                services,
                inbound_id=inbound_id,
                pressed=Pressed(
                    actor, meta.get("channel"), meta.get("message_ts"), resolution=resolution
                ),
                apply=True,
            ),
        )
        return
    with_members(
        services,
        body["user"]["id"],
        lambda actor: resolve_with_note(
            services, case_id=case_id, actor=actor, resolution=resolution
        ),
    )


def handle_rating_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Refuse a bad comment in the form; record the rating once the form closes."""
    values = parse_view_state(view["state"]["values"])
    rating, errors = validate_rating(values.get("score"), values.get("comment"))
    if errors:
        ack(response_action="errors", errors=field_errors(errors))
        return
    ack()
    case_id = int_or_none(metadata(view).get("case_id")) or 0
    record_rating(context["services"], case_id=case_id, user=body["user"]["id"], rating=rating)
