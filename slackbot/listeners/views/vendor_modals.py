"""The vendor-email modals: edit a draft (the hand-off's details, or a follow-up's note) and the
vendor's notes on why it is not their issue. Bad input is refused under its field."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from slackbot.domain.handoff import Purpose
from slackbot.domain.intake import validate_details
from slackbot.domain.pii import pii_error
from slackbot.domain.status_machine import Action, Via
from slackbot.listeners.parse import int_or_none, metadata
from slackbot.render.blocks import field_errors, parse_view_state
from slackbot.render.email_blocks import NOTE_LIMIT
from slackbot.services import Services
from slackbot.usecases import vendor_email
from slackbot.usecases.actors import with_members
from slackbot.usecases.move_case import move_case


def note_error(note: str, *, required: str | None = None) -> str | None:
    """Why a free-text note cannot go to the vendor, or None."""
    if not note:
        return required
    if len(note) > NOTE_LIMIT:
        return f"Keep the {'notes' if required else 'note'} under {NOTE_LIMIT} characters."
    return pii_error(note)


def _edited_values(services: Services, draft, playbook, raw: dict[str, Any]):
    """(values, None) from the form, or (None, field errors)."""
    if Purpose(draft.purpose) is Purpose.HANDOFF:
        result = validate_details(playbook, raw, services.clock.now())
        if not result.ok:
            return None, field_errors(result.errors)
        return result.values, None
    note = (raw.get("note") or "").strip()
    error = note_error(note)
    if error:
        return None, field_errors({"note": error})
    return {"note": note}, None


def handle_edit_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Check the edited details (intake checks and the PII guard), then recompose the draft."""
    services: Services = context["services"]
    meta = metadata(view)
    draft_id = int_or_none(meta.get("draft_id")) or 0
    try:
        draft, _case, playbook = vendor_email.draft_for_edit(services, draft_id=draft_id)
    except vendor_email.DraftError as exc:
        first = next(iter(view["state"]["values"]), "f_note")
        ack(response_action="errors", errors={first: str(exc)[:150]})
        return
    values, errors = _edited_values(
        services, draft, playbook, parse_view_state(view["state"]["values"])
    )
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    with_members(
        services,
        body["user"]["id"],
        lambda actor: vendor_email.edit_draft(
            services, draft_id=draft.id, actor=actor, values=values, channel=meta.get("channel")
        ),
    )


def handle_not_vendor_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Return the case from the vendor with their notes."""
    meta = metadata(view)
    notes = (parse_view_state(view["state"]["values"]).get("notes") or "").strip()
    error = note_error(
        notes, required="Give the vendor's notes: what they found and what they suggest."
    )
    if error:
        ack(response_action="errors", errors=field_errors({"notes": error}))
        return
    ack()
    case_id = int_or_none(meta.get("case_id"))
    if case_id is None:
        return
    services: Services = context["services"]
    with_members(
        services,
        body["user"]["id"],
        lambda actor: move_case(
            services,
            case_id=case_id,
            action=Action.NOT_VENDOR_ISSUE,
            actor=actor,
            via=Via.MODAL,
            reason=notes,
            reply_to=meta.get("channel"),
        ),
    )
