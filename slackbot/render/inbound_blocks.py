"""Block Kit for vendors' emails in Slack: the post in the case thread, the proposal with
Apply / Ignore, the unmatched email's summary with Attach to case / Ignore, the Attach modal
and the full email shown to one person. Pure: data in, (text, blocks) out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slackbot.domain.attachments import MB, megabytes
from slackbot.domain.cases import case_key
from slackbot.domain.inbound_rules import Proposal, Summary
from slackbot.domain.mrkdwn import cut, escape, mention, one_line
from slackbot.domain.slack_limits import SECTION_TEXT
from slackbot.domain.status_machine import Action
from slackbot.render.elements import plain
from slackbot.render.ids import VALUE, InboundAction, InboundView, VendorAction, field_block_id

#: Slack's limit for a section's text, less room for the quote marks.
SECTION_LIMIT = 2900
CASE_FIELD = "case"


@dataclass(frozen=True)
class FileNote:
    """An attachment as the thread post names it; `why` says why it was not uploaded."""

    name: str
    size: int
    why: str = ""


@dataclass(frozen=True)
class ThreadPost:
    """What the thread post shows of one email (already redacted by the caller)."""

    inbound_id: int
    case_id: int
    sender: str
    subject: str
    text: str
    #: What the bot did with it, one sentence each ("Their ticket 12345 is on the case.").
    notes: Sequence[str] = ()
    files: Sequence[FileNote] = ()
    problems: Sequence[str] = ()


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_TEXT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, SECTION_TEXT)}]}


def _button(action: str, text: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action,
        "text": plain(text),
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def quoted(text: str, limit: int = SECTION_LIMIT) -> str:
    """`text` escaped and quoted line by line, cut to fit a section."""
    body = escape(text.strip()) or "(no text)"
    if len(body) > limit:
        body = body[: limit - 1].rstrip() + "…"
    return "\n".join(f">{line}" for line in body.splitlines())


def size_label(size: int) -> str:
    """A file size for people: KB under a megabyte, else MB."""
    return megabytes(size) if size >= MB else f"{max(1, round(size / 1024))} KB"


def _files_note(files: Sequence[FileNote]) -> list[str]:
    uploaded = [f"{escape(f.name)} ({size_label(f.size)})" for f in files if not f.why]
    named = [f"{escape(f.name)} ({size_label(f.size)}, {escape(f.why)})" for f in files if f.why]
    lines = []
    if uploaded:
        lines.append(":paperclip: Attached below: " + ", ".join(uploaded))
    if named:
        lines.append(":no_entry_sign: Not uploaded: " + ", ".join(named))
    return lines


def build_thread_post(post: ThreadPost) -> tuple[str, list[dict[str, Any]]]:
    """The email in the case thread: who wrote, the subject, what they just wrote."""
    head = (
        f":incoming_envelope: *{escape(post.sender)}* wrote about {case_key(post.case_id)}\n"
        f"*Subject:* {escape(one_line(post.subject, 300))}"
    )
    blocks = [_section(head), _section(quoted(post.text))]
    context = [*post.notes, *_files_note(post.files)]
    if post.problems:
        context.append(
            ":warning: Read as well as it could be: " + escape("; ".join(post.problems[:4]))
        )
    if context:
        blocks.append(_context("\n".join(context)))
    blocks.append(
        {
            "type": "actions",
            "block_id": f"inbound_{post.inbound_id}",
            "elements": [
                _button(InboundAction.VIEW, "View full email", str(post.inbound_id)),
            ],
        }
    )
    fallback = (
        f"Email from {escape(one_line(post.sender, 100))}: {escape(one_line(post.subject, 150))}"
    )
    return fallback, blocks


def _question(proposal: Proposal, action: Action | None, case_id: int) -> str:
    if action is None:
        return "*Take it on?* The vendor waits for us; the case stays with them."
    return f"*{escape(proposal.apply_label)}?* Apply to {action.label} {case_key(case_id)}."


def _reopen_button(case_id: int) -> dict[str, Any]:
    return _button(VendorAction.REOPEN, "Reopen with vendor", str(case_id))


def build_proposal(
    *,
    inbound_id: int,
    case_id: int,
    vendor: str,
    proposal: Proposal,
    action: Action | None,
    evidence: str,
) -> tuple[str, list[dict[str, Any]]]:
    """What the email proposes, with Apply and Ignore: nothing changes without a person."""
    said = f" (“{escape(one_line(evidence, 200))}”)" if evidence else ""
    text = (
        f":bulb: {escape(vendor)} {escape(proposal.says)}{said}. "
        f"{_question(proposal, action, case_id)} Nothing changes until someone applies it."
    )
    buttons = [
        _button(InboundAction.APPLY, proposal.apply_label, str(inbound_id), "primary"),
        _button(InboundAction.IGNORE, "Ignore", str(inbound_id)),
    ]
    if action is Action.CLOSE_UNREACHABLE:
        buttons.append(_reopen_button(case_id))
    blocks = [
        _section(text),
        {"type": "actions", "block_id": f"proposal_{inbound_id}", "elements": buttons},
    ]
    return text, blocks


def build_proposal_decided(
    *,
    case_id: int,
    vendor: str,
    proposal: Proposal,
    action: Action | None,
    applied: bool,
    user: str,
) -> tuple[str, list[dict[str, Any]]]:
    """The proposal once someone applied or ignored it (its buttons gone, but Reopen)."""
    if not applied:
        text = f":heavy_minus_sign: {escape(vendor)} {escape(proposal.says)}: ignored by {mention(user)}."
    elif action is None:
        text = (
            f":white_check_mark: {escape(vendor)} {escape(proposal.says)}: "
            f"{mention(user)} is getting them what they asked for."
        )
    else:
        text = (
            f":white_check_mark: {escape(vendor)} {escape(proposal.says)}: applied by "
            f"{mention(user)} ({action.label} {case_key(case_id)})."
        )
    blocks: list[dict[str, Any]] = [_section(text)]
    if applied and action is Action.CLOSE_UNREACHABLE:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"reopen_{case_id}",
                "elements": [_reopen_button(case_id)],
            }
        )
    return text, blocks


def build_take_on_note(*, case_id: int, vendor: str, user: str) -> str:
    """The thread note when someone takes on a vendor's request for details."""
    return (
        f":raising_hand: {mention(user)} is getting {escape(vendor)} the details they asked for "
        f"on {case_key(case_id)}."
    )


def build_unmatched(
    *, inbound_id: int, summary: Summary, reason: str, files: int, problems: Sequence[str]
) -> tuple[str, list[dict[str, Any]]]:
    """An email that matches no case: a summary, contact details hidden, and what to do."""
    head = (
        f":incoming_envelope: *An email that matches no case* ({escape(reason)})\n"
        f"*From:* {escape(summary.sender)}\n*Subject:* {escape(one_line(summary.subject, 300))}"
    )
    blocks = [_section(head), _section(quoted(summary.lines, 1000))]
    context = []
    if files:
        context.append(f":paperclip: {files} attachment{'s' if files != 1 else ''}")
    if problems:
        context.append(":warning: " + escape("; ".join(problems[:3])))
    if context:
        blocks.append(_context(" · ".join(context)))
    blocks.append(
        {
            "type": "actions",
            "block_id": f"unmatched_{inbound_id}",
            "elements": [
                _button(InboundAction.ATTACH, "Attach to case", str(inbound_id), "primary"),
                _button(InboundAction.DISMISS, "Ignore", str(inbound_id)),
            ],
        }
    )
    fallback = f"Unmatched email from {escape(one_line(summary.sender, 100))}"
    return fallback, blocks


def build_unmatched_decided(
    *, summary: Summary, user: str, case_id: int | None
) -> tuple[str, list[dict[str, Any]]]:
    """The summary once someone attached it to a case or ignored it."""
    done = (
        f"attached to {case_key(case_id)} by {mention(user)}"
        if case_id is not None
        else f"ignored by {mention(user)}"
    )
    text = (
        f":incoming_envelope: Email from {escape(summary.sender)} "
        f"(“{escape(one_line(summary.subject, 150))}”): {done}."
    )
    return text, [_section(text)]


def build_attach_modal(
    *, inbound_id: int, subject: str, channel: str | None, ts: str | None
) -> dict[str, Any]:
    """Which case the email belongs to: a case id, e.g. ESC-42."""
    return {
        "type": "modal",
        "callback_id": InboundView.ATTACH.value,
        "private_metadata": json.dumps({"inbound_id": inbound_id, "channel": channel, "ts": ts}),
        "title": plain("Attach to case", 24),
        "submit": plain("Attach", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            _section(f"*Subject:* {escape(one_line(subject, 300))}"),
            {
                "type": "input",
                "block_id": field_block_id(CASE_FIELD),
                "label": plain("Case id"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": VALUE,
                    "max_length": 20,
                    "placeholder": plain("ESC-42"),
                },
                "hint": plain(
                    "The email goes in that case's thread, as if it had been matched.", 150
                ),
            },
        ],
    }


def attach_modal_case(view: dict[str, Any]) -> str:
    """The case id typed in the Attach modal."""
    state = (view.get("state") or {}).get("values") or {}
    element = (state.get(field_block_id(CASE_FIELD)) or {}).get(VALUE) or {}
    return str(element.get("value") or "").strip()


def attach_modal_errors(message: str) -> dict[str, str]:
    """A `response_action: errors` map for the Attach modal's case id."""
    return {field_block_id(CASE_FIELD): message[:150]}


def build_full_email(
    *,
    case_id: int,
    sender: str,
    subject: str,
    sent_at: str,
    text: str,
    files: Sequence[str],
) -> str:
    """The whole new text of an email, contact details included: for one person only."""
    lines = [
        f":incoming_envelope: *The email on {case_key(case_id)}* (only you can see this)",
        f"*From:* {escape(sender)}",
        f"*Subject:* {escape(subject)}",
        f"*Sent:* {escape(sent_at)}",
    ]
    if files:
        lines.append("*Attachments:* " + escape(", ".join(files)))
    lines.append(quoted(text, 3000))
    return "\n".join(lines)[:3900]
