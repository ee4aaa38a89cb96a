"""Block Kit for service-level reminders: the reminder, the unreachable close, the overdue list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from slackbot.domain.cases import case_key, parse_id
from slackbot.domain.deadlines import DeadlineKind, SnoozeChoice, overdue_by
from slackbot.domain.mrkdwn import escape
from slackbot.domain.playbooks import Contact
from slackbot.render.ids import CaseAction


class ReminderAction(StrEnum):
    """Action ids of the reminder's buttons."""

    ASK_VENDOR = "deadline_ask_vendor"
    ESCALATE_LEADERSHIP = "deadline_escalate_leadership"
    SNOOZE_HOUR = "deadline_snooze_1h"
    SNOOZE_TOMORROW = "deadline_snooze_tomorrow"
    CALLBACK_DONE = "deadline_callback_done"


SNOOZE_ACTIONS = {
    ReminderAction.SNOOZE_HOUR: SnoozeChoice.HOUR,
    ReminderAction.SNOOZE_TOMORROW: SnoozeChoice.TOMORROW,
}


def button_value(*, deadline_id: int, case_id: int) -> str:
    """The value every reminder button carries."""
    return json.dumps({"deadline": deadline_id, "case": case_id}, separators=(",", ":"))


def parse_button_value(value: str) -> tuple[int | None, int | None]:
    """(deadline id, case id) from a button value; Nones when it is not ours."""
    try:
        data = json.loads(value or "{}")
    except (ValueError, TypeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    deadline_id, case_id = parse_id(data.get("deadline")), parse_id(data.get("case"))
    return (deadline_id, case_id) if deadline_id and case_id else (None, None)


def _button(action: ReminderAction | CaseAction, text: str, value: str, style: str | None = None):
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action.value,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def build_reminder(
    *,
    text: str,
    mentions: Sequence[str],
    escalated: bool,
    leadership: Sequence[Contact],
    deadline_id: int,
    case_id: int,
    with_vendor: bool = True,
    callback: bool = False,
) -> list[dict[str, Any]]:
    """A reminder: who, what is overdue and by how long, and the next actions as buttons."""
    lead = " ".join(mentions)
    icon = ":rotating_light:" if escalated else ":alarm_clock:"
    body = f"{icon} {lead} {text}".replace("  ", " ")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": body}}]
    if escalated:
        lines = ["Missed twice: the team leads are in the loop."]
        if leadership:
            lines.append("Consider the vendor's leadership contacts:")
            lines += [
                f"• {escape(c.name)}" + (f", {escape(c.title)}" if c.title else "")
                for c in leadership
            ]
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "\n".join(lines)}]}
        )
    value = button_value(deadline_id=deadline_id, case_id=case_id)
    buttons = []
    if callback:
        buttons.append(_button(ReminderAction.CALLBACK_DONE, "Call-back done", value, "primary"))
    if with_vendor:
        buttons.append(
            _button(ReminderAction.ASK_VENDOR, "Ask vendor for an update", value, "primary")
        )
        # The case's own "Add update" flow (its modal) records the update; its value is the case.
        buttons.append(_button(CaseAction.ADD_UPDATE, "Record an update", str(case_id)))
    buttons.append(
        _button(
            ReminderAction.ESCALATE_LEADERSHIP, "Escalate to vendor leadership", value, "danger"
        )
    )
    buttons.append(_button(ReminderAction.SNOOZE_HOUR, "Snooze 1 h", value))
    buttons.append(_button(ReminderAction.SNOOZE_TOMORROW, "Snooze until tomorrow", value))
    blocks.append({"type": "actions", "block_id": f"deadline_{deadline_id}", "elements": buttons})
    return blocks


def build_unreachable_note(
    *, mentions: Sequence[str], after: str, vendor: str
) -> tuple[str, list[dict[str, Any]]]:
    """The 72-hour close: ask our agent to help reach the end user, and say how to reopen."""
    lead = " ".join(mentions)
    text = (
        f":no_mobile_phones: {lead} {escape(vendor)} could not reach the end user within {after}. "
        "Can you help reach them? The case is now *closed: end user unreachable*. "
        "To reopen it with the vendor, press *Reopen with vendor* on the case to reply on the "
        "vendor email thread (add the user's availability); react :repeat: to reopen it here."
    ).replace("  ", " ")
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def build_overdue_list(
    items: Sequence[tuple[int, str, DeadlineKind, datetime, str | None]], now: datetime
) -> str:
    """`/escalate overdue`: (case id, summary, kind, expired at, owner), oldest first."""
    if not items:
        return ":white_check_mark: Nothing is overdue."
    lines = [f"*Overdue* ({len(items)}), oldest first:"]
    for case_id, summary, kind, expires_at, owner in items:
        who = f" · <@{owner}>" if owner else ""
        lines.append(
            f"• *{case_key(case_id)}* {escape(summary)}: {kind.label}, "
            f"overdue by {overdue_by(expires_at, now)}{who}"
        )
    return "\n".join(lines)
