"""The Slack edge for emails to the receiving side: the case's vendor buttons, the preview's
Send / Edit / View full email buttons, and the Edit and Not-their-issue modals.

Listeners ack first; the use cases in slackbot.usecases.vendor_email do the work and say
everything through the outbox.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from slackbot.domain.handoff import Purpose
from slackbot.domain.intake import validate_details
from slackbot.domain.pii import pii_error
from slackbot.domain.status_machine import Action, Via
from slackbot.services import Services
from slackbot.slack import delivery
from slackbot.slack.blocks import field_errors, parse_view_state
from slackbot.slack.cases import with_members
from slackbot.slack.email_blocks import NOTE_LIMIT, build_edit_modal, build_not_vendor_modal
from slackbot.slack.ids import CaseView, EmailAction, VendorAction
from slackbot.usecases import vendor_email
from slackbot.usecases.move_case import move_case
from storage.db import write_session
from storage.repositories import get_case

log = logging.getLogger(__name__)

#: The vendor buttons that ask for a draft, and of what.
DRAFT_BUTTONS = {
    VendorAction.PREVIEW_HANDOFF: Purpose.HANDOFF,
    VendorAction.REOPEN: Purpose.REOPEN,
    VendorAction.LEADERSHIP: Purpose.LEADERSHIP,
    VendorAction.TECHNICAL: Purpose.TECHNICAL,
}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}


def register(app: App, services: Services) -> None:
    """Register the vendor-email buttons and modals."""

    def tell(user: str, channel: str | None, text: str) -> None:
        with write_session(services.engine) as session:
            delivery.post_ephemeral(
                session, user=user, channel=channel, now=services.clock.now(), text=text
            )
        services.outbox.kick()

    def handle_draft_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        case_id = _int(action.get("value"))
        if case_id is None:
            return
        user = body["user"]["id"]
        try:
            vendor_email.ask_for_draft(
                services,
                case_id=case_id,
                purpose=DRAFT_BUTTONS[VendorAction(action["action_id"])],
                user_id=user,
            )
        except vendor_email.DraftError as exc:
            tell(user, (body.get("channel") or {}).get("id"), str(exc))

    def handle_send(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        draft_id = _int(action.get("value"))
        if draft_id is None:
            return
        channel = (body.get("channel") or {}).get("id")
        with_members(
            services,
            body["user"]["id"],
            lambda actor: vendor_email.send_draft(
                services, draft_id=draft_id, actor=actor, channel=channel
            ),
        )

    def handle_view(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        draft_id = _int(action.get("value"))
        if draft_id is None:
            return
        channel = (body.get("channel") or {}).get("id")
        with_members(
            services,
            body["user"]["id"],
            lambda actor: vendor_email.view_draft(
                services, draft_id=draft_id, actor=actor, channel=channel
            ),
        )

    def handle_edit(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        draft_id = _int(action.get("value"))
        if draft_id is None:
            return
        try:
            draft, case, playbook = vendor_email.draft_for_edit(services, draft_id=draft_id)
        except vendor_email.DraftError as exc:
            tell(body["user"]["id"], (body.get("channel") or {}).get("id"), str(exc))
            return
        # A modal must open within the trigger's 3 seconds: a UI answer, not an outbox item.
        view = build_edit_modal(draft, case, playbook)
        view["private_metadata"] = json.dumps(
            {"draft_id": draft.id, "channel": (body.get("channel") or {}).get("id")}
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def handle_edit_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        metadata = _metadata(view)
        draft_id = _int(metadata.get("draft_id"))
        raw = parse_view_state(view["state"]["values"])
        try:
            draft, case, playbook = vendor_email.draft_for_edit(services, draft_id=draft_id or 0)
        except vendor_email.DraftError as exc:
            first = next(iter(view["state"]["values"]), "f_note")
            ack(response_action="errors", errors={first: str(exc)[:150]})
            return
        if Purpose(draft.purpose) is Purpose.HANDOFF:
            result = validate_details(playbook, raw, services.clock.now())
            if not result.ok:
                ack(response_action="errors", errors=field_errors(result.errors))
                return
            values = result.values
        else:
            note = (raw.get("note") or "").strip()
            error = pii_error(note) if note else None
            if len(note) > NOTE_LIMIT:
                error = f"Keep the note under {NOTE_LIMIT} characters."
            if error:
                ack(response_action="errors", errors=field_errors({"note": error}))
                return
            values = {"note": note}
        ack()
        with_members(
            services,
            body["user"]["id"],
            lambda actor: vendor_email.edit_draft(
                services,
                draft_id=draft.id,
                actor=actor,
                values=values,
                channel=metadata.get("channel"),
            ),
        )

    def handle_not_vendor_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        case_id = _int(action.get("value"))
        if case_id is None:
            return
        with Session(services.engine) as session:
            case = get_case(session, case_id=case_id)
        if case is None:
            return
        view = build_not_vendor_modal(case)
        view["private_metadata"] = json.dumps(
            {"case_id": case.id, "channel": (body.get("channel") or {}).get("id")}
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def handle_not_vendor_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        metadata = _metadata(view)
        notes = (parse_view_state(view["state"]["values"]).get("notes") or "").strip()
        error = None
        if not notes:
            error = "Give the vendor's notes: what they found and what they suggest."
        elif len(notes) > NOTE_LIMIT:
            error = f"Keep the notes under {NOTE_LIMIT} characters."
        else:
            error = pii_error(notes)
        if error:
            ack(response_action="errors", errors=field_errors({"notes": error}))
            return
        ack()
        case_id = _int(metadata.get("case_id"))
        if case_id is None:
            return
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
                reply_to=metadata.get("channel"),
            ),
        )

    for action_id in DRAFT_BUTTONS:
        app.action(action_id.value)(handle_draft_button)
    app.action(VendorAction.NOT_VENDOR_ISSUE.value)(handle_not_vendor_button)
    app.action(EmailAction.SEND.value)(handle_send)
    app.action(EmailAction.EDIT.value)(handle_edit)
    app.action(EmailAction.VIEW.value)(handle_view)
    app.view(CaseView.EDIT_EMAIL.value)(handle_edit_submission)
    app.view(CaseView.NOT_VENDOR_ISSUE.value)(handle_not_vendor_submission)
