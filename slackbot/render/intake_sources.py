"""Block Kit for cases made from messages, general inquiries, `find`, `list closed` and the
opener's DMs (issue 13): pure builders, data in, dicts out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slackbot.domain.cases import CaseStatus, Priority, case_key
from slackbot.domain.intake_sources import (
    INQUIRY_ANSWER_LIMIT,
    INQUIRY_TOPIC_LIMIT,
    MessageSource,
    Prefill,
    Triage,
    opener_dm_footer,
)
from slackbot.domain.mrkdwn import escape, mention, one_line
from slackbot.domain.playbooks import Playbook, Playbooks
from slackbot.render.elements import option, plain, slack_date
from slackbot.render.ids import VALUE, IntakeShortcut, field_block_id
from storage.models import Case

#: The intake form's triage question (its block id; the value is a `Triage`).
TRIAGE_FIELD = "triage"


def build_triage_input() -> dict[str, Any]:
    """The intake's triage outcome: the receiving side's problem, or ours."""
    options = [option(t.label, t.value) for t in Triage]
    return {
        "type": "input",
        "block_id": field_block_id(TRIAGE_FIELD),
        "label": plain("Triage: whose is it?"),
        "element": {
            "type": "radio_buttons",
            "action_id": VALUE,
            "options": options,
            "initial_option": options[0],
        },
        "optional": True,
    }


def build_inquiry_hint() -> dict[str, Any]:
    """The pointer at the top of the intake: questions answered at once are inquiries."""
    return {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "Answered it on first contact? That is a general inquiry, not an "
                "escalation: log it with `/escalate inquiry` (no thread, no ticket).",
            }
        ],
    }


def build_source_context(source: MessageSource, notes: Sequence[str]) -> dict[str, Any]:
    """Where the prefilled text came from, and what the person should know about it."""
    where = f"<{source.link}|this message>" if source.link else "a message"
    lines = [f":link: Prefilled from {where}; the case will link it and reply to it."]
    lines += [f":warning: {escape(note)}" for note in notes]
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": "\n".join(lines)}]}


def apply_prefill(blocks: list[dict[str, Any]], prefill: Prefill) -> None:
    """Put the prefilled values in the form's text inputs (in place)."""
    wanted = {field_block_id(key): value for key, value in prefill.values.items()}
    for block in blocks:
        element = block.get("element") or {}
        value = wanted.get(block.get("block_id", ""))
        if value and element.get("type") == "plain_text_input":
            limit = element.get("max_length") or 3000
            element["initial_value"] = value[:limit]


def build_escalate_offer(case_source: MessageSource, playbook: Playbook) -> tuple[str, list]:
    """The prompt an intake reaction gets (a reaction cannot open a form; a button can)."""
    text = f"Escalate this message to {playbook.title}?"
    value = json.dumps({"p": playbook.id, **case_source.as_metadata()})
    return text, [
        {"type": "section", "text": {"type": "mrkdwn", "text": escape(text)}},
        {
            "type": "actions",
            "block_id": "escalate_offer",
            "elements": [
                {
                    "type": "button",
                    "action_id": IntakeShortcut.FROM_REACTION,
                    "text": plain("Escalate this message"),
                    "style": "primary",
                    "value": value[:2000],
                }
            ],
        },
    ]


def build_already_escalated(case: Case, permalink: str | None) -> str:
    """A message that already is a case: which one."""
    where = f" (<{permalink}|its thread>)" if permalink else ""
    return f":information_source: This message is already *{case_key(case.id)}*{where}."


def build_source_reply(case: Case, permalink: str | None) -> str:
    """The reply under the original message, pointing to its case."""
    where = f"<{permalink}|{case_key(case.id)}>" if permalink else f"*{case_key(case.id)}*"
    return (
        f":ticket: Escalated as {where} · {escape(one_line(case.summary, 100))} — "
        "follow the case's thread for its progress."
    )


def build_source_line(case: Case) -> str | None:
    """The case thread's link back to the message it was made from."""
    if not case.source_link:
        return None
    return f":link: Made from <{case.source_link}|this message>."


def _case_line(case: Case) -> str:
    status = CaseStatus(case.status)
    blocker = ":rotating_light: " if case.priority == Priority.HIGH.value else ""
    closed = f" · closed {slack_date(case.closed_at)}" if case.closed_at else ""
    vendor = f" · vendor {escape(case.vendor_ticket)}" if case.vendor_ticket else ""
    return (
        f"• {blocker}*{case_key(case.id)}* {status.emoji} {status.label} · "
        f"{escape(one_line(case.summary, 80))} · ours {escape(case.internal_ticket)}{vendor} · "
        f"{case.playbook_id} · owner {mention(case.owner_id)}{closed}"
    )


def build_found_cases(cases: Sequence[Case], query: str, *, hidden: int) -> str:
    """`/escalate find`: what matched (newest first), and how many the asker may not see."""
    shown = escape(one_line(query, 60))
    lines = [
        f"*Cases matching “{shown}”* ({len(cases)})" if cases else f"No case matches “{shown}”."
    ]
    lines += [_case_line(case) for case in cases]
    if hidden:
        lines.append(f"_{hidden} more match but are not yours to see._")
    return "\n".join(lines)


def build_closed_list(cases: Sequence[Case], days: int, *, hidden: int) -> str:
    """`/escalate list closed`: cases closed in the last `days` days, newest first."""
    heading = f"Cases closed in the last {days} days"
    lines = [f"*{heading}* ({len(cases)})" if cases else f"{heading}: none."]
    lines += [_case_line(case) for case in cases]
    if hidden:
        lines.append(f"_{hidden} more were closed but are not yours to see._")
    return "\n".join(lines)


def build_opener_dm(notice: str) -> str:
    """The DM to a case's opener: the notice and how to stop them."""
    return f"{notice}\n{opener_dm_footer()}"


def build_notify_answer(on: bool) -> str:
    """`/escalate notify on|off`: what was set."""
    if on:
        return ":bell: You will get a DM when a case you opened moves, gets an update or closes."
    return ":no_bell: No more DMs about the cases you open. `/escalate notify on` brings them back."


# --- /escalate inquiry --------------------------------------------------------------------


def build_inquiry_picker(playbooks: Playbooks) -> dict[str, Any]:
    """First step of `/escalate inquiry` with several playbooks: which path it was about."""
    return {
        "type": "modal",
        "callback_id": IntakeShortcut.PICK_INQUIRY,
        "title": plain("Log an inquiry", 24),
        "submit": plain("Next", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": field_block_id("playbook"),
                "label": plain("About"),
                "element": {
                    "type": "static_select",
                    "action_id": VALUE,
                    "options": [option(pb.title, pb.id) for pb in playbooks][:100],
                },
            }
        ],
    }


def _text_input(field_id: str, label: str, limit: int, *, optional: bool, multiline: bool):
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE, "max_length": limit}
    if multiline:
        element["multiline"] = True
    return {
        "type": "input",
        "block_id": field_block_id(field_id),
        "label": plain(label),
        "element": element,
        "optional": optional,
        "hint": plain("No personal or health details.", 150),
    }


def build_inquiry_modal(playbook: Playbook) -> dict[str, Any]:
    """The short form of a general inquiry: what it was about, who asked, what was said."""
    return {
        "type": "modal",
        "callback_id": IntakeShortcut.INQUIRY,
        "private_metadata": json.dumps({"playbook": playbook.id}),
        "title": plain("Log an inquiry", 24),
        "submit": plain("Log it", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"*{escape(playbook.title)}* · a question answered on first "
                        "contact: counted in the reports, no thread, no ticket.",
                    }
                ],
            },
            {
                "type": "input",
                "block_id": field_block_id("category"),
                "label": plain("About"),
                "element": {
                    "type": "static_select",
                    "action_id": VALUE,
                    "options": [option(c.label, c.id) for c in playbook.categories][:100],
                },
            },
            {
                "type": "input",
                "block_id": field_block_id("requester_type"),
                "label": plain("Who asked"),
                "element": {
                    "type": "static_select",
                    "action_id": VALUE,
                    "options": [option(r, r) for r in playbook.requester_types][:100],
                },
            },
            _text_input(
                "topic", "What they asked", INQUIRY_TOPIC_LIMIT, optional=False, multiline=False
            ),
            _text_input(
                "answer",
                "What you told them",
                INQUIRY_ANSWER_LIMIT,
                optional=True,
                multiline=True,
            ),
        ],
    }


def build_inquiry_logged(playbook: Playbook, category: str) -> str:
    """The ephemeral thanks once an inquiry is logged."""
    found = playbook.category(category)
    label = found.label if found else category
    return f":memo: Logged a general inquiry for {escape(playbook.title)} · {escape(label)}."
