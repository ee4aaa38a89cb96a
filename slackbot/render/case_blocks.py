"""Block Kit builders for working a case: root-message buttons, the Add update modal and the
one-line notes the bot leaves in a case's thread. Pure functions of their arguments."""

from __future__ import annotations

import json
from typing import Any

from slackbot.domain.cases import CaseStatus, case_key
from slackbot.domain.mrkdwn import escape, group_mention, keyed, mention, one_line
from slackbot.domain.playbooks import Playbook
from slackbot.domain.slack_limits import VIEW_TITLE
from slackbot.domain.status_machine import Action, CaseState, Transition, allowed_actions
from slackbot.domain.updates import (
    NOTE_LIMIT,
    VENDOR_STATUS_LIMIT,
    VENDOR_TICKET_LIMIT,
    Update,
)
from slackbot.render.case_work_blocks import build_needs_info_button
from slackbot.render.ids import VALUE, CaseAction, CaseView, field_block_id
from slackbot.render.long_text import cut_mrkdwn
from storage.models import Case

#: Buttons on the root message, in order, and the status-machine action each one asks for.
BUTTONS: tuple[tuple[CaseAction, str, Action | None], ...] = (
    (CaseAction.ACKNOWLEDGE, ":eyes: Acknowledge", Action.ACKNOWLEDGE),
    (CaseAction.ESCALATE, ":arrow_up: Escalate tier", Action.ESCALATE_TIER),
    (CaseAction.RESOLVE, ":white_check_mark: Resolve", Action.RESOLVE),
    (CaseAction.REOPEN, ":repeat: Reopen", Action.REOPEN),
    (CaseAction.ADD_UPDATE, ":memo: Add update", None),
)
BUTTON_ACTIONS: dict[CaseAction, Action] = {
    action_id: action for action_id, _, action in BUTTONS if action is not None
}
ACTIONS_BLOCK_ID = "case_actions"
#: How a move note introduces the words that came with it.
REASON_LABELS = {
    Action.NOT_VENDOR_ISSUE: "The vendor's notes",
    Action.VENDOR_NEEDS_INFO: "What they asked for",
}


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": one_line(text, limit), "emoji": True}


def case_state(case: Case) -> CaseState:
    """The status-machine view of a stored case."""
    return CaseState(status=CaseStatus(case.status), owner=case.owner_id, tier=case.tier)


def build_case_buttons(case: Case, playbook: Playbook | None) -> dict[str, Any]:
    """The actions block of the root message: only the moves that are legal right now."""
    top_tier = playbook.top_tier if playbook else case.tier
    legal = set(allowed_actions(case_state(case), top_tier=top_tier))
    elements = []
    for action_id, label, action in BUTTONS:
        if action is not None and action not in legal:
            continue
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "text": _plain(label),
            "value": str(case.id),
        }
        if action is Action.RESOLVE:
            button["style"] = "primary"
        elements.append(button)
    if Action.VENDOR_NEEDS_INFO in legal:  # its form asks what the vendor asked for
        elements.append(build_needs_info_button(case))
    return {"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": elements}


def build_add_update_modal(case: Case) -> dict[str, Any]:
    """The Add update modal: the vendor's ticket number and status, and a note."""

    def text_input(field_id: str, label: str, limit: int, *, initial: str | None, hint: str = ""):
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": VALUE,
            "max_length": limit,
        }
        if field_id == "note":
            element["multiline"] = True
        if initial:
            element["initial_value"] = initial
        block: dict[str, Any] = {
            "type": "input",
            "block_id": field_block_id(field_id),
            "label": _plain(label),
            "element": element,
            "optional": True,
        }
        if hint:
            block["hint"] = _plain(hint, 150)
        return block

    key = case_key(case.id)
    return {
        "type": "modal",
        "callback_id": CaseView.ADD_UPDATE,
        "private_metadata": json.dumps({"case_id": case.id}),
        "title": _plain(keyed(key, "Update", limit=VIEW_TITLE), VIEW_TITLE),
        "submit": _plain("Save update", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{key}* · {escape(one_line(case.summary))}"},
            },
            text_input(
                "vendor_ticket",
                "Vendor ticket number",
                VENDOR_TICKET_LIMIT,
                initial=case.vendor_ticket,
            ),
            text_input(
                "vendor_status",
                "Vendor's status",
                VENDOR_STATUS_LIMIT,
                initial=case.vendor_status,
                hint='What they say the ticket\'s state is, e.g. "contacting the user".',
            ),
            text_input(
                "note",
                "What happened",
                NOTE_LIMIT,
                initial=None,
                hint="What the vendor or our team said. No personal or health details.",
            ),
        ],
    }


def build_move_note(transition: Transition, case_id: int, reason: str | None = None) -> str:
    """The thread note for a move: "@dana moved ESC-42 to waiting on vendor ⏳", and why."""
    after = transition.after
    text = f"{mention(transition.actor)} moved {case_key(case_id)} to {after.status.label} "
    text += after.status.emoji
    if transition.escalated:
        text += f" (tier {transition.before.tier} → {after.tier})"
    elif transition.action is Action.ACKNOWLEDGE:
        text += " and owns it"
    if transition.action is Action.VENDOR_NEEDS_INFO:
        text += " (the vendor's clocks are paused, ours is running)"
        if not reason:
            text += ". What they asked for isn't recorded: say it in this thread"
    if reason and not transition.escalated:  # the hand-off note up a tier quotes it already
        label = REASON_LABELS.get(transition.action, "Why")
        quoted = "\n".join(f">{line}" for line in escape(reason).splitlines())
        text += f"\n{label}:\n{quoted}"
    return cut_mrkdwn(text, 3900)  # a message's text; a cut (rare) says so


def build_undo_note(actor: str, case_id: int, undone: Transition) -> str:
    """The thread note for an undo: back to the state before the move."""
    before = undone.before
    text = (
        f"{mention(actor)} undid the move of {case_key(case_id)} to {undone.after.status.label}: "
        f"back to {before.status.label} {before.status.emoji}"
    )
    if undone.escalated:
        text += f" at tier {before.tier}"
    return text


def build_handoff_note(
    case: Case, playbook: Playbook | None, transition: Transition, reason: str | None = None
) -> str:
    """The ping to the next tier's responders with a short hand-off summary."""
    tier = playbook.tier(transition.after.tier) if playbook else None
    tier_name = tier.name if tier else f"tier {transition.after.tier}"
    group = tier.responders if tier else None
    lines = [
        f"{group_mention(group)}: {mention(transition.actor)} handed {case_key(case.id)} up to "
        f"tier {transition.after.tier} ({escape(tier_name)}). React :eyes: to take it.",
        f"• *Summary:* {escape(one_line(case.summary, 150))}",
        f"• *Was:* {transition.before.status.label} at tier {transition.before.tier}, owned by "
        f"{mention(transition.before.owner)}",
    ]
    if case.vendor_ticket:
        lines.append(f"• *Vendor ticket:* {escape(case.vendor_ticket)}")
    if case.vendor_status:
        lines.append(f"• *Vendor status:* {escape(one_line(case.vendor_status, 120))}")
    if reason:
        lines.append(f"• *Why:* {escape(one_line(reason, 300))}")
    return "\n".join(lines)


def build_update_note(actor: str, case_id: int, update: Update) -> str:
    """The thread note for an update."""
    parts = []
    if update.vendor_ticket:
        parts.append(f"vendor ticket *{escape(update.vendor_ticket)}*")
    if update.vendor_status:
        parts.append(f"vendor status: {escape(one_line(update.vendor_status, 120))}")
    text = f":memo: {mention(actor)} added an update to {case_key(case_id)}"
    if parts:
        text += ": " + " · ".join(parts)
    if update.note:
        quoted = "\n".join(f">{line}" for line in escape(update.note).splitlines())
        text += "\n" + quoted
    return cut_mrkdwn(text, 3900)


def build_refusal(case_id: int, action: Action, reason: str) -> str:
    """The ephemeral answer to a move that is not allowed."""
    return f":no_entry: Can't {action.label} {case_key(case_id)}: {reason}."


def build_denial(case_id: int, reason: str) -> str:
    """The ephemeral answer to someone who may not act on the case: `reason` says who may and
    what ("Only the opener, the owner or Tier 2 support (…) can edit the emails of ESC-42")."""
    return f":lock: {reason}. Nothing changed; ask them in the thread of {case_key(case_id)}."


def build_case_hidden(case: Case) -> str:
    """The answer to `/escalate show` for someone who may not see the case (no summary)."""
    return (
        f":lock: {case_key(case.id)} exists, but you can't see it: only members of "
        f"<#{case.channel_id}>, its opener, its owner and its current tier's responders can. "
        f"Ask in <#{case.channel_id}>."
    )


def build_hidden_count(hidden: int) -> str:
    """The line under `/escalate list all` for the open cases the asker may not see."""
    if not hidden:
        return ""
    cases = "case" if hidden == 1 else "cases"
    return (
        f"\n:lock: {hidden} more open {cases} in channels you are not in; ask their channel to "
        "see them."
    )
