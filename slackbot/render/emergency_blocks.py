"""Block Kit builders for the emergency route: the modal, the 🚨 message, reminders. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slackbot.domain import emergency as em
from slackbot.domain.cases import case_key
from slackbot.domain.mrkdwn import cut, escape, mention, one_line
from slackbot.domain.playbooks import Contact, Playbook
from slackbot.domain.slack_limits import CHECKBOX_OPTIONS, OPTION_TEXT, SECTION_TEXT
from slackbot.domain.status_machine import Via
from slackbot.render.elements import slack_date
from slackbot.render.ids import VALUE, EmergencyAction, EmergencyBlock, EmergencyCallback
from slackbot.render.long_text import section_blocks
from storage.models import Page

FORM_KEYS = {block.value: block.value.removeprefix("em_") for block in EmergencyBlock}


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": one_line(text, limit) or " ", "emoji": True}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool, hint: str = ""):
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label, 2000),
        "element": {**element, "action_id": VALUE},
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint, 2000)
    return block


def _text_input(limit: int, *, multiline: bool = False, initial: str = "", placeholder: str = ""):
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": limit}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = _plain(placeholder, 150)
    return element


def _intro(playbooks: Sequence[Playbook], *, now: datetime, named: bool) -> list[dict[str, Any]]:
    """What the modal opens with: the rule, and whether each partner's support is open now."""
    return [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": (
                    ":rotating_light: *Page the partner's on-call.* Only for a production system "
                    "that is down: the page goes out only when every criterion below is checked."
                ),
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": (f"*{escape(pb.title)}*: " if named else "")
                    + escape(em.support_hint(pb, now)),
                }
                for pb in playbooks[:10]
            ],
        },
    ]


def _playbook_input(playbooks: Sequence[Playbook]) -> dict[str, Any]:
    return _input(
        EmergencyBlock.PLAYBOOK,
        "Which partner",
        {
            "type": "static_select",
            "options": [{"text": _plain(pb.title), "value": pb.id} for pb in playbooks[:100]],
        },
        optional=False,
    )


def _report_inputs(case_id: int | None) -> list[dict[str, Any]]:
    """What is down, since when, the impact, and the case it belongs to."""
    return [
        _input(
            EmergencyBlock.SYSTEM,
            "Affected production system",
            _text_input(200, placeholder="e.g. Identity verification API"),
            optional=False,
        ),
        _input(
            EmergencyBlock.WHAT_IS_DOWN,
            "What is down",
            _text_input(3000, multiline=True, placeholder="What fails, for whom, any error"),
            optional=False,
            hint="No personal or health details: this goes to the partner's on-call.",
        ),
        _input(
            EmergencyBlock.SINCE,
            "Since when",
            _text_input(200, placeholder="e.g. 05:40 UTC"),
            optional=False,
        ),
        _input(
            EmergencyBlock.IMPACT,
            "Impact",
            _text_input(3000, multiline=True, placeholder="Who cannot do what"),
            optional=False,
        ),
        _input(
            EmergencyBlock.CASE,
            "Existing case (optional)",
            _text_input(20, initial=case_key(case_id) if case_id else "", placeholder="ESC-42"),
            optional=True,
            hint="Leave empty to open a new case.",
        ),
    ]


def _checkboxes(block_id: str, label: str, options: list[tuple[str, str, int]]) -> dict[str, Any]:
    """Optional checkboxes, so that an unchecked form still reaches us and we can say why."""
    return _input(
        block_id,
        label,
        {
            "type": "checkboxes",
            "options": [
                {"text": _plain(text, limit), "value": value} for text, value, limit in options
            ],
        },
        optional=True,
    )


def build_emergency_modal(
    playbooks: Sequence[Playbook],
    *,
    now: datetime,
    origin_channel: str,
    case_id: int | None = None,
) -> dict[str, Any]:
    """The `/emergency` modal: the criteria as checkboxes, and whether normal support is open."""
    fixed = playbooks[0] if len(playbooks) == 1 else None
    blocks = _intro(playbooks, now=now, named=fixed is None)
    if fixed is None:
        blocks.append(_playbook_input(playbooks))
    blocks += _report_inputs(case_id)
    criteria = (fixed.emergency.criteria if fixed else _union_criteria(playbooks))[
        :CHECKBOX_OPTIONS
    ]
    # A checkbox shows 75 characters: longer criteria are numbered, cut, and listed in full.
    cut_some = any(len(item) > OPTION_TEXT for item in criteria)
    if cut_some:
        criteria = [f"{i + 1}. {item}" for i, item in enumerate(criteria)]
        blocks.append(_criteria_in_full(criteria))
    blocks.append(
        _checkboxes(
            EmergencyBlock.CRITERIA,
            "Confirm every criterion",
            [(item, em.criterion_value(i), OPTION_TEXT) for i, item in enumerate(criteria)],
        )
    )
    blocks.append(
        _checkboxes(
            EmergencyBlock.PAGE_AGAIN,
            "Recent page for this case?",
            [("Page again (otherwise the existing page is updated)", "again", 75)],
        )
    )
    return {
        "type": "modal",
        "callback_id": EmergencyCallback.PAGE,
        "private_metadata": json.dumps(
            {"playbook": fixed.id if fixed else "", "channel": origin_channel}
        ),
        "title": _plain("Emergency page", 24),
        "submit": _plain("Page on-call", 24),
        "close": _plain("Cancel", 24),
        "blocks": blocks,
    }


def _criteria_in_full(numbered: Sequence[str]) -> dict[str, Any]:
    """The criteria whole, above the checkboxes that show them cut."""
    text = cut("*The criteria in full*\n" + "\n".join(escape(c) for c in numbered), SECTION_TEXT)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _union_criteria(playbooks: Sequence[Playbook]) -> tuple[str, ...]:
    # With several partners the checkbox values index the chosen playbook's own criteria.
    longest = max(playbooks, key=lambda pb: len(pb.emergency.criteria))
    return longest.emergency.criteria


def _route_line(page: Page, playbook: Playbook) -> str:
    names = {em.PageRoute.PAGERDUTY: "PagerDuty", em.PageRoute.EMAIL: "email to on-call"}
    parts = [f"{names[em.PageRoute(route)]} ({state})" for route, state in _route_states(page)]
    return ", ".join(parts) or "none configured"


def _route_states(page: Page) -> list[tuple[str, str]]:
    return [
        (route, str(state))
        for route, state in (page.routes or {}).items()
        if route in (em.PageRoute.PAGERDUTY, em.PageRoute.EMAIL)
    ]


def _buttons(page: Page, *, acknowledged: bool) -> dict[str, Any]:
    elements = []
    if not acknowledged:
        elements.append(
            {
                "type": "button",
                "action_id": EmergencyAction.ACKNOWLEDGED,
                "text": _plain(":white_check_mark: Acknowledged"),
                "style": "primary",
                "value": str(page.id),
            }
        )
    elements.append(
        {
            "type": "button",
            "action_id": EmergencyAction.PAGE_AGAIN,
            "text": _plain(":rotating_light: Page again"),
            "style": "danger",
            "value": str(page.id),
            "confirm": {
                "title": _plain("Page on-call again?"),
                "text": _plain("This sends a new page instead of updating the existing one.", 300),
                "confirm": _plain("Page again"),
                "deny": _plain("Cancel"),
            },
        }
    )
    return {"type": "actions", "block_id": f"emergency_{page.id}", "elements": elements}


def build_page_message(
    page: Page, playbook: Playbook, *, updated: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """The 🚨 message: what is down, who paged, when, and the expected response time."""
    key = case_key(page.case_id)
    head = "Emergency page updated" if updated else "Emergency: on-call paged"
    response = em.response_time_text(playbook.emergency) if playbook.emergency else "?"
    text = f":rotating_light: {head}: {key}: {escape(one_line(page.system, 100))} is down"
    lines = [
        f":rotating_light: *{head}* · *{key}*",
        f"*Affected production system:* {escape(page.system)}",
        f"*What is down:* {escape(page.what_is_down)}",
        f"*Since:* {escape(page.since)}",
        f"*Impact:* {escape(page.impact)}",
        f"*Paged by:* {mention(page.paged_by)} {slack_date(page.paged_at)}",
        f"*Expected response:* within {response} (by {slack_date(page.response_due_at)})",
        f"*Routes:* {_route_line(page, playbook)}",
        "*Confirmed:* " + "; ".join(escape(item) for item in page.criteria),
    ]
    if updated:
        lines.append(
            "_A page for this case went out recently: the same incident was updated instead of "
            "paging again. Press *Page again* to send a new page._"
        )
    return text, [
        *section_blocks("\n".join(lines)),
        _buttons(page, acknowledged=page.acknowledged_at is not None),
    ]


def _contacts(contacts: Sequence[Contact]) -> str:
    return "\n".join(
        f"• {escape(c.name)}{', ' + escape(c.title) if c.title else ''}: {escape(c.email)}"
        for c in contacts
    )


def build_reminder(page: Page, playbook: Playbook) -> tuple[str, list[dict[str, Any]]]:
    """Nobody acknowledged in time: say so, offer Page again and the escalation contacts."""
    response = em.response_time_text(playbook.emergency) if playbook.emergency else "in time"
    text = (
        f":warning: No acknowledgement from on-call within {response} of the page for "
        f"{case_key(page.case_id)}."
    )
    lines = [
        f"{text} Press *Page again*, or reach the escalation contacts:",
    ]
    if playbook.technical_contacts:
        lines.append("*Technical escalation*\n" + _contacts(playbook.technical_contacts))
    if playbook.leadership_contacts:
        lines.append("*Leadership escalation*\n" + _contacts(playbook.leadership_contacts))
    return text, [*section_blocks("\n".join(lines)), _buttons(page, acknowledged=False)]


def build_acknowledged(page: Page, *, by: str, via: Via | str) -> str:
    """On-call answered."""
    # A button or reaction names a Slack user; PagerDuty gives a person's name as it knows it.
    who = mention(by) if via in (Via.BUTTON, Via.REACTION) else escape(by)
    return (
        f":white_check_mark: Page for {case_key(page.case_id)} acknowledged by {who} "
        f"({escape(via)}). The response watch is off."
    )


def build_route_refused(route: str, reason: str, *, fallback: bool) -> str:
    """A route refused the page for good (e.g. PagerDuty's 400), with its message."""
    text = f":x: {escape(route)} refused the page: {escape(one_line(reason, 500))}"
    if fallback:
        text += "\nFalling back to the email route."
    return text


def build_all_routes_down(page: Page) -> str:
    """Every route is failing: loud, because nobody has been reached yet."""
    return (
        f"<!here> :rotating_light: *Nobody has been paged yet for {case_key(page.case_id)}*: "
        f"every route is failing ({escape(one_line(page.last_error or 'see above', 300))}). "
        "The page stays queued and is retried; meanwhile call the escalation contacts directly."
    )


def build_page_on_call_button(case_id: int) -> dict[str, Any]:
    """The root message's **Page on-call** button (playbooks with an emergency route)."""
    return {
        "type": "actions",
        "block_id": "case_emergency",
        "elements": [
            {
                "type": "button",
                "action_id": EmergencyAction.PAGE_ON_CALL,
                "text": _plain(":rotating_light: Page on-call"),
                "value": str(case_id),
            }
        ],
    }
