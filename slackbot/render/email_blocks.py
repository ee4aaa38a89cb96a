"""Block Kit builders for emails to the receiving side: the buttons on a case that start one,
the Edit modal of a draft and the vendor's not-their-issue form. Pure functions.

The preview of a draft and the notes about sending it are in `email_preview_blocks`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from slackbot.domain.cases import CaseStatus, case_key
from slackbot.domain.handoff import Purpose
from slackbot.domain.mrkdwn import escape, keyed, one_line
from slackbot.domain.playbooks import FieldKind, IntakeField, Playbook, Section
from slackbot.domain.slack_limits import VIEW_TITLE
from slackbot.render.case_work_blocks import build_vendor_work_buttons
from slackbot.render.elements import field_element, plain
from slackbot.render.ids import VALUE, CaseView, VendorAction, field_block_id
from storage.models import Case, EmailDraft

VENDOR_ACTIONS_BLOCK_ID = "case_vendor_actions"
NOTE_LIMIT = 1500

#: Case statuses from which the vendor may be asked to reopen their ticket.
REOPENABLE = (
    CaseStatus.CLOSED_UNREACHABLE,
    CaseStatus.RESOLVED,
    CaseStatus.RETURNED,
    CaseStatus.REOPENED,
)


def button(action_id: str, label: str, value: int, style: str | None = None) -> dict[str, Any]:
    """A button carrying an id (a case's or a draft's) as its value."""
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(label),
        "value": str(value),
    }
    if style:
        element["style"] = style
    return element


def build_vendor_buttons(case: Case, playbook: Playbook | None) -> dict[str, Any] | None:
    """The root message's second row: what can be written to the receiving side right now."""
    if playbook is None or not playbook.receiver.email:
        return None
    status = CaseStatus(case.status)
    elements: list[dict[str, Any]] = []
    if case.handoff_emailed_at is None and not status.is_closed:
        elements.append(
            button(VendorAction.PREVIEW_HANDOFF, ":email: Preview hand-off email", case.id)
        )
    if case.handed_off_at is not None and status in REOPENABLE:
        elements.append(
            button(VendorAction.REOPEN, ":leftwards_arrow_with_hook: Reopen with vendor", case.id)
        )
    if case.handed_off_at is not None and not status.is_closed and playbook.leadership_contacts:
        elements.append(
            button(VendorAction.LEADERSHIP, ":top: Escalate to vendor leadership", case.id)
        )
    if status in (CaseStatus.WITH_VENDOR, CaseStatus.VENDOR_CONTACTING_USER):
        elements.append(
            button(VendorAction.NOT_VENDOR_ISSUE, ":no_entry_sign: Not their issue", case.id)
        )
    # The technical escalation (once our engineers assessed), the assessment, the call-out.
    elements += build_vendor_work_buttons(case, playbook)
    if not elements:
        return None
    return {"type": "actions", "block_id": VENDOR_ACTIONS_BLOCK_ID, "elements": elements}


# --- the Edit modal --------------------------------------------------------------------------


def _text_input(
    field_id: str,
    label: str,
    *,
    limit: int,
    initial: str | None,
    multiline: bool = False,
    optional: bool = True,
    hint: str = "",
    kind: str = "plain_text_input",
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": kind, "action_id": VALUE}
    if kind == "plain_text_input":
        element["max_length"] = limit
        if multiline:
            element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field_block_id(field_id),
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 150)
    return block


def _initial_option(options: list[dict[str, Any]], value: Any) -> dict[str, Any] | None:
    return next((option for option in options if option["value"] == value), None)


def _field_input(spec: IntakeField, value: Any) -> dict[str, Any]:
    """One hand-off detail, prefilled with its value (files can't be: left empty, they stay)."""
    element = field_element(spec)
    hint = spec.help
    if spec.kind is FieldKind.FILE:
        hint = "Leave empty to keep the files already attached."
    elif value not in (None, "", []):
        _set_initial(element, spec.kind, value)
    return {
        "type": "input",
        "block_id": field_block_id(spec.id),
        "label": plain(spec.label),
        "element": element,
        # Slack can't prefill files, so keeping them means leaving it empty.
        "optional": not spec.required or spec.kind is FieldKind.FILE,
        **({"hint": plain(hint, 150)} if hint else {}),
    }


def _handoff_inputs(case: Case, playbook: Playbook) -> list[dict[str, Any]]:
    """Our ticket number and every detail that goes to the vendor, prefilled."""
    inputs = [
        _text_input(
            "internal_ticket",
            "Our ticket number",
            limit=64,
            initial=case.internal_ticket,
            optional=False,
        )
    ]
    for spec in playbook.fields:
        if spec.email_section is not Section.INTERNAL:
            inputs.append(_field_input(spec, case.fields.get(spec.id)))
    return inputs


def _note_input(draft: EmailDraft) -> dict[str, Any]:
    return _text_input(
        "note",
        "Add a note to the email",
        limit=NOTE_LIMIT,
        initial=draft.note,
        multiline=True,
        hint="Goes into the email as written. No personal or health details.",
    )


def build_edit_modal(draft: EmailDraft, case: Case, playbook: Playbook) -> dict[str, Any]:
    """Edit a draft: the hand-off's details (the email is recomposed from them), or a note."""
    key = case_key(case.id)
    intro = {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": f"*{key}* · {escape(one_line(case.summary))}\nThe email is rebuilt from "
            "these details and shown again for a last check.",
        },
    }
    if Purpose(draft.purpose) is Purpose.HANDOFF:
        inputs = _handoff_inputs(case, playbook)
    else:
        inputs = [_note_input(draft)]
    return {
        "type": "modal",
        "callback_id": CaseView.EDIT_EMAIL,
        "private_metadata": json.dumps({"draft_id": draft.id}),
        "title": plain(keyed(key, "Edit email", "Edit", limit=VIEW_TITLE), VIEW_TITLE),
        "submit": plain("Show new preview", 24),
        "close": plain("Cancel", 24),
        "blocks": [intro, *inputs][:100],
    }


def _set_initial(element: dict[str, Any], kind: FieldKind, value: Any) -> None:
    if kind in (FieldKind.TEXT, FieldKind.MULTILINE, FieldKind.PHONE, FieldKind.EMAIL):
        element["initial_value"] = str(value)
    elif kind in (FieldKind.CHOICE, FieldKind.TIMEZONE):
        option = _initial_option(element.get("options", []), value)
        if option is not None:
            element["initial_option"] = option
    elif kind is FieldKind.DATETIME:
        element["initial_date_time"] = int(datetime.fromisoformat(str(value)).timestamp())
    elif kind is FieldKind.PEOPLE:
        element["initial_users"] = list(value)


def build_not_vendor_modal(case: Case) -> dict[str, Any]:
    """Record that the vendor says it is not their issue, with their notes."""
    key = case_key(case.id)
    return {
        "type": "modal",
        "callback_id": CaseView.NOT_VENDOR_ISSUE,
        "private_metadata": json.dumps({"case_id": case.id}),
        "title": plain(keyed(key, "Back from vendor", "From vendor", limit=VIEW_TITLE), VIEW_TITLE),
        "submit": plain("Return to our team", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{key}* · {escape(one_line(case.summary))}\nThe vendor says this is "
                    "not their issue: the case comes back to our team with their notes.",
                },
            },
            _text_input(
                "notes",
                "The vendor's notes",
                limit=NOTE_LIMIT,
                initial=None,
                multiline=True,
                optional=False,
                hint="What they found and what they suggest. No personal or health details.",
            ),
        ],
    }
