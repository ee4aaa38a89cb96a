"""Block Kit for working a case beyond its status (issue 13): the root message's *Edit case*
and *Assign* row, what the vendor asked for and the call-out request on it, the vendor row's
assessment and call-out buttons, their modals and their thread notes. Pure functions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from slackbot.domain.case_work import (
    ASSESSMENT_LIMIT,
    EDIT_LABELS,
    NEEDS_INFO_LIMIT,
    technical_wait,
)
from slackbot.domain.cases import CaseStatus, Priority, case_key
from slackbot.domain.clock import ensure_utc
from slackbot.domain.intake import SUMMARY_LIMIT
from slackbot.domain.mrkdwn import escape, mention, one_line
from slackbot.domain.playbooks import Playbook
from slackbot.render.elements import option, plain, slack_date
from slackbot.render.ids import VALUE, CaseAction, CaseView, VendorAction, field_block_id
from storage.models import Case

MANAGE_BLOCK_ID = "case_manage"
WORK_BLOCK_ID = "case_work"


def _button(action_id: str, label: str, value: int, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(label),
        "value": str(value),
    }
    if style:
        element["style"] = style
    return element


def build_needs_info_button(case: Case) -> dict[str, Any]:
    """The root message's *Vendor needs info* button (its form asks what they asked for)."""
    return _button(CaseAction.NEEDS_INFO, ":question: Vendor needs info", case.id)


def build_manage_row(case: Case) -> dict[str, Any] | None:
    """*Edit case* and *Assign* (a users select) while the case is open."""
    if CaseStatus(case.status).is_closed:
        return None
    assign: dict[str, Any] = {
        "type": "users_select",
        "action_id": CaseAction.ASSIGN,
        "placeholder": plain("Assign to…"),
    }
    return {
        # The select carries no value: the block id names the case.
        "type": "actions",
        "block_id": f"{MANAGE_BLOCK_ID}:{case.id}",
        "elements": [_button(CaseAction.EDIT, ":pencil2: Edit case", case.id), assign],
    }


def case_of_block(block_id: str | None) -> int | None:
    """The case id an *Assign* select's block names."""
    prefix, _, rest = (block_id or "").partition(":")
    return int(rest) if prefix == MANAGE_BLOCK_ID and rest.isdigit() else None


def _callout_line(case: Case) -> str | None:
    if case.callout_at is None:
        return None
    when = slack_date(case.callout_at)
    if case.callout_confirmed_at is not None:
        return f":telephone: *Call-out* {when}: confirmed by the vendor"
    return f":telephone: *Call-out* {when}: _requested_, not confirmed by the vendor yet"


def build_work_context(case: Case) -> dict[str, Any] | None:
    """What the vendor asked us for, the call-out request and our engineers' assessment."""
    lines = []
    if CaseStatus(case.status) is CaseStatus.VENDOR_NEEDS_INFO:
        asked = escape(one_line(case.needs_info, 300)) if case.needs_info else "_not recorded_"
        lines.append(f":question: *The vendor asked us for:* {asked}")
    callout = _callout_line(case)
    if callout:
        lines.append(callout)
    if case.assessed_at is not None:
        lines.append(
            f":wrench: *Assessed* by {mention(case.assessed_by)} {slack_date(case.assessed_at)}"
        )
    if not lines:
        return None
    return {
        "type": "context",
        "block_id": WORK_BLOCK_ID,
        "elements": [{"type": "mrkdwn", "text": "\n".join(lines)[:3000]}],
    }


def build_vendor_work_buttons(case: Case, playbook: Playbook) -> list[dict[str, Any]]:
    """The vendor row's technical escalation (or why it waits), assessment and call-out."""
    status = CaseStatus(case.status)
    if status.is_closed:
        return []
    elements: list[dict[str, Any]] = []
    handed_off = case.handed_off_at is not None
    if playbook.technical_contacts and handed_off:
        wait = technical_wait(playbook, assessed_at=case.assessed_at, handed_off=True)
        if wait is None:
            elements.append(
                _button(VendorAction.TECHNICAL, ":wrench: Escalate to vendor technical", case.id)
            )
        else:
            elements.append(
                _button(
                    VendorAction.TECHNICAL_WAITS,
                    ":wrench: Vendor technical: after our engineers assess",
                    case.id,
                )
            )
    if playbook.engineering_tier is not None and case.assessed_at is None:
        elements.append(
            _button(VendorAction.ASSESSED, ":microscope: Engineering assessed", case.id)
        )
    if not handed_off:  # a call-out is asked of the vendor, once they have the case
        return elements
    if status is CaseStatus.VENDOR_NEEDS_INFO:
        elements.append(
            _button(VendorAction.SEND_DETAILS, ":email: Reply with the details", case.id, "primary")
        )
    if case.callout_at is not None and case.callout_confirmed_at is None:
        elements.append(
            _button(VendorAction.CALLOUT_CONFIRMED, ":telephone: Call-out confirmed", case.id)
        )
    else:
        elements.append(
            _button(VendorAction.REQUEST_CALLOUT, ":telephone: Request call-out", case.id)
        )
    return elements


# --- modals ----------------------------------------------------------------------------------


def _input(
    field_id: str, label: str, element: dict[str, Any], *, hint: str = "", optional: bool = False
) -> dict[str, Any]:
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


def _text_element(limit: int, *, multiline: bool = False, initial: str | None = None):
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE, "max_length": limit}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    return element


def _select(options: list[dict[str, Any]], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": VALUE, "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _modal(callback_id: str, case: Case, title: str, submit: str, blocks: list[dict[str, Any]]):
    summary = f"*{case_key(case.id)}* · {escape(one_line(case.summary))}"
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps({"case_id": case.id}),
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": summary}}, *blocks],
    }


def build_needs_info_modal(case: Case) -> dict[str, Any]:
    """*Vendor needs info*: what they asked us for."""
    asked = _input(
        "needs_info",
        "What the vendor asked for",
        _text_element(NEEDS_INFO_LIMIT, multiline=True),
        hint="Their clocks pause and ours starts. No personal or health details.",
    )
    return _modal(CaseView.NEEDS_INFO, case, "Vendor needs info", "Save", [asked])


def build_send_details_modal(case: Case) -> dict[str, Any]:
    """*Reply with the details*: what goes back to the vendor on their thread (previewed first)."""
    asked = escape(one_line(case.needs_info, 300)) if case.needs_info else "_not recorded_"
    details = _input(
        "details",
        "The details they asked for",
        _text_element(NEEDS_INFO_LIMIT, multiline=True),
        hint="Previewed before it goes; sending it hands the case back to the vendor.",
    )
    asked_block = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"They asked: {asked}"}],
    }
    return _modal(
        CaseView.SEND_DETAILS, case, "Reply with details", "Preview", [asked_block, details]
    )


def build_edit_case_modal(case: Case, playbook: Playbook) -> dict[str, Any]:
    """*Edit case*: summary, category, tier, priority and who is affected, prefilled."""
    tiers = [option(f"{t.tier}: {t.name}", str(t.tier)) for t in playbook.tiers]
    priorities = [option(p.label, p.value) for p in Priority]
    blocks = [
        _input(
            "summary",
            "Summary",
            _text_element(SUMMARY_LIMIT, initial=case.summary),
            hint="Shown on the case's root message. No personal or health details.",
        ),
        _input(
            "category",
            "Category",
            _select([option(c.label, c.id) for c in playbook.categories], case.category),
        ),
        _input("tier", "Tier", _select(tiers, str(case.tier))),
        _input(
            "priority",
            "Priority",
            _select(priorities, case.priority),
            hint="Left as it is, a new category brings its own (blockers are high).",
        ),
        _input(
            "requester_type",
            "Who is affected",
            _select([option(r, r) for r in playbook.requester_types], case.requester_type),
        ),
    ]
    return _modal(CaseView.EDIT_CASE, case, f"Edit {case_key(case.id)}", "Save", blocks)


def build_assessment_modal(case: Case) -> dict[str, Any]:
    """*Engineering assessed*: what our engineers found."""
    found = _input(
        "assessment",
        "What our engineers found",
        _text_element(ASSESSMENT_LIMIT, multiline=True),
        hint="Goes into the case's history. No personal or health details.",
    )
    return _modal(CaseView.ASSESSMENT, case, "Engineering assessment", "Save", [found])


def build_callout_modal(case: Case) -> dict[str, Any]:
    """*Request call-out*: the time we ask the vendor to call the end user."""
    when = _input(
        "callout_at",
        "Call-out time to ask the vendor for",
        {"type": "datetimepicker", "action_id": VALUE},
        hint="Only a request until the vendor confirms it.",
    )
    return _modal(CaseView.CALLOUT, case, "Request a call-out", "Save", [when])


# --- thread notes ----------------------------------------------------------------------------


def build_assigned_note(actor: str, case_id: int, before: str | None, after: str) -> str:
    """The thread note for a reassignment."""
    was = f" (was {mention(before)})" if before and before != after else ""
    return f":bust_in_silhouette: {mention(actor)} assigned {case_key(case_id)} to {mention(after)}{was}."


def _shown(name: str, value: Any, playbook: Playbook | None) -> str:
    if name == "category" and playbook is not None:
        category = playbook.category(str(value))
        return category.label if category else str(value)
    if name == "priority":
        return Priority(value).label
    return str(value)


def build_edited_note(
    actor: str, case_id: int, changes: dict[str, tuple[Any, Any]], playbook: Playbook | None
) -> str:
    """The thread note for an edit: each field, before → after."""
    parts = [
        f"*{EDIT_LABELS[name]}* {escape(one_line(_shown(name, before, playbook), 150))} → "
        f"{escape(one_line(_shown(name, after, playbook), 150))}"
        for name, (before, after) in changes.items()
    ]
    return f":pencil2: {mention(actor)} edited {case_key(case_id)}:\n• " + "\n• ".join(parts)


def build_assessed_note(actor: str, case_id: int, assessment: str) -> str:
    """The thread note for our engineers' assessment."""
    quoted = "\n".join(f">{line}" for line in escape(assessment).splitlines())
    return (
        f":microscope: {mention(actor)} recorded our engineers' assessment of {case_key(case_id)}; "
        f"escalating to the vendor's technical contacts is now possible.\n{quoted}"
    )


def build_callout_note(actor: str, case_id: int, when: datetime, *, confirmed: bool) -> str:
    """The thread note for a call-out time requested, or confirmed by the vendor."""
    at = slack_date(ensure_utc(when))
    if confirmed:
        return f":telephone: {mention(actor)}: the vendor confirmed the call-out for {case_key(case_id)} at {at}."
    return (
        f":telephone: {mention(actor)} asked the vendor for a call-out at {at} on {case_key(case_id)}: "
        "it is only a request until the vendor confirms it (press *Call-out confirmed* then)."
    )


def build_technical_wait(case_id: int, why: str) -> str:
    """The ephemeral answer to the waiting technical escalation button."""
    return f":hourglass: Not yet for {case_key(case_id)}: {why}."
