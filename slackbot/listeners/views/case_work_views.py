"""Issue 13's forms: what the vendor asked us for, *Edit case*, our engineers' assessment and the
call-out request. Bad input is refused under its field (PII guard included); the work runs once
the form closes, through the one guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext

from slackbot.domain.case_work import ASSESSMENT_LIMIT, NEEDS_INFO_LIMIT, check_callout, check_note
from slackbot.domain.handoff import Purpose
from slackbot.domain.status_machine import Action, Via
from slackbot.listeners.parse import int_or_none, metadata
from slackbot.render.blocks import field_errors, parse_view_state
from slackbot.services import Services
from slackbot.usecases import case_work, vendor_email
from slackbot.usecases.actors import with_members
from slackbot.usecases.move_case import move_case


def _case_and_values(view: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return int_or_none(metadata(view).get("case_id")) or 0, parse_view_state(
        view["state"]["values"]
    )


def _with_note(
    ack: Ack,
    body,
    view,
    context: BoltContext,
    *,
    field: str,
    label: str,
    limit: int,
    act: Callable[[Services, int, str, Any], object],
) -> None:
    """A form of one note: refuse it under its field (PII guard included), or close the form and
    run `act(services, case_id, note, actor)` as the member who submitted it."""
    case_id, values = _case_and_values(view)
    note, error = check_note(values.get(field), label=label, limit=limit)
    if error:
        ack(response_action="errors", errors=field_errors({field: error}))
        return
    ack()
    services: Services = context["services"]
    with_members(services, body["user"]["id"], lambda actor: act(services, case_id, note, actor))


def handle_needs_info_submission(ack: Ack, body, view, context: BoltContext) -> None:
    """Move the case to *vendor needs info* with what they asked for."""
    _with_note(
        ack,
        body,
        view,
        context,
        field="needs_info",
        label="what the vendor asked for",
        limit=NEEDS_INFO_LIMIT,
        act=lambda services, case_id, asked, actor: move_case(
            services,
            case_id=case_id,
            action=Action.VENDOR_NEEDS_INFO,
            actor=actor,
            via=Via.MODAL,
            reason=asked,
        ),
    )


def handle_send_details_submission(ack: Ack, body, view, context: BoltContext) -> None:
    """Draft the reply with the details (PII-checked); its preview's Send hands the case back."""
    _with_note(
        ack,
        body,
        view,
        context,
        field="details",
        label="the details they asked for",
        limit=NEEDS_INFO_LIMIT,
        act=lambda services, case_id, details, actor: vendor_email.ask_for_draft(
            services, case_id=case_id, purpose=Purpose.DETAILS, actor=actor, note=details
        ),
    )


def handle_edit_case_submission(ack: Ack, body, view, context: BoltContext) -> None:
    """Check the edit with the intake's rules; apply it once the form closes."""
    case_id, values = _case_and_values(view)
    services: Services = context["services"]
    checked = case_work.check_edit(services, case_id=case_id, raw=values)
    if checked.errors:
        ack(response_action="errors", errors=field_errors(checked.errors))
        return
    ack()
    with_members(
        services,
        body["user"]["id"],
        lambda actor: case_work.edit_case(services, case_id=case_id, raw=values, actor=actor),
    )


def handle_assessment_submission(ack: Ack, body, view, context: BoltContext) -> None:
    """Record our engineers' assessment."""
    _with_note(
        ack,
        body,
        view,
        context,
        field="assessment",
        label="what our engineers found",
        limit=ASSESSMENT_LIMIT,
        act=lambda services, case_id, found, actor: case_work.record_assessment(
            services, case_id=case_id, assessment=found, actor=actor
        ),
    )


def handle_callout_submission(ack: Ack, body, view, context: BoltContext) -> None:
    """Record the call-out time asked of the vendor (a request until they confirm it)."""
    case_id, values = _case_and_values(view)
    services: Services = context["services"]
    when, error = check_callout(values.get("callout_at"), services.clock.now())
    if error or when is None:
        ack(response_action="errors", errors=field_errors({"callout_at": error}))
        return
    ack()
    with_members(
        services,
        body["user"]["id"],
        lambda actor: case_work.request_callout(services, case_id=case_id, when=when, actor=actor),
    )
