"""Block Kit for an email draft in the case thread: the check-before-sending preview (edited in
place as the draft moves on), the full email for one person, and the thread notes and answers
about sending it. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slackbot.domain.cases import case_key
from slackbot.domain.handoff import REDACTED, Purpose, redact
from slackbot.domain.mrkdwn import escape, mention, one_line
from slackbot.domain.vocabulary import DraftState
from slackbot.render.elements import plain, slack_date
from slackbot.render.email_blocks import button
from slackbot.render.ids import EmailAction
from storage.models import Case, EmailDraft

#: Slack shows at most 3000 characters in a section; longer bodies are cut in the preview only.
PREVIEW_BODY_LIMIT = 2700
CUT_MARK = "\n…"
#: The full email goes out as a plain-text ephemeral, which Slack shows up to 40,000 characters.
FULL_EMAIL_LIMIT = 12000


def _fit(text: str, limit: int) -> str:
    """`text` escaped for mrkdwn and cut to `limit` characters *after* escaping (marked)."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - len(CUT_MARK)]
    amp = cut.rfind("&", max(0, len(cut) - 5))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]  # never leave half an &amp; entity
    return cut.rstrip() + CUT_MARK


def _addresses(addresses: Sequence[str]) -> str:
    return ", ".join(escape(address) for address in addresses) or "_nobody_"


def build_email_preview(
    draft: EmailDraft, *, receiver: str, private: Sequence[str]
) -> tuple[str, list[dict[str, Any]]]:
    """The preview in the case thread: to, subject and body (contact details hidden), buttons."""
    body = _fit(redact(draft.body, private), PREVIEW_BODY_LIMIT)
    cut = body.endswith(CUT_MARK)
    fields = [
        f"*To*\n{_addresses(draft.to)}",
        f"*Subject*\n{escape(redact(draft.subject, private))}",
    ]
    if draft.cc:
        fields.append(f"*Cc*\n{_addresses(draft.cc)}")
    if draft.in_reply_to:
        fields.append("*Threading*\nA reply on the vendor's email thread")
    content: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "email_fields",
            "fields": [{"type": "mrkdwn", "text": f} for f in fields],
        },
        {"type": "section", "block_id": "email_body", "text": _mrkdwn(f"```{body}```")},
    ]
    notes = []
    if draft.attachments:
        names = ", ".join(escape(str(a.get("name") or "file")) for a in draft.attachments)
        notes.append(f":paperclip: {len(draft.attachments)} attachment(s): {names}")
    if REDACTED in body or REDACTED in redact(draft.subject, private):
        notes.append(
            f"Contact details show as {REDACTED} here; *View full email* shows them only to you."
        )
    if cut:
        notes.append("The body is cut here; *View full email* shows all of it.")
    if notes:
        content.append(
            {"type": "context", "block_id": "email_notes", "elements": [_mrkdwn(" ".join(notes))]}
        )
    if draft.missing:
        lines = [":warning: *Missing before it can be sent:*"]
        lines += [f"• {escape(m['what'])}: {m['how']}" for m in draft.missing]
        content.append(
            {"type": "section", "block_id": "email_missing", "text": _mrkdwn("\n".join(lines))}
        )
    return _framed(draft, receiver, content)


def restate_preview(
    draft: EmailDraft, *, receiver: str, posted: Sequence[dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """The preview as posted, re-framed for the draft's state now (status line, buttons).

    Its content is reused exactly as it was posted, redacted then: recomposing it from the case
    could reveal a contact detail that has been edited since (the old value is no longer known
    to be private, yet an old draft still holds it).
    """
    content = [block for block in posted if block.get("block_id") in PREVIEW_CONTENT]
    return _framed(draft, receiver, content)


#: The blocks of a preview that show the email itself (the rest shows its state and buttons).
PREVIEW_CONTENT = ("email_fields", "email_body", "email_notes", "email_missing")


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _framed(
    draft: EmailDraft, receiver: str, content: list[dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """Header, the email's content, then what became of it and the buttons still possible."""
    purpose = Purpose(draft.purpose)
    key = case_key(draft.case_id)
    sendable = DraftState(draft.state).sendable
    header = f":email: *{purpose.label.capitalize()}* to {escape(receiver)} for *{key}*"
    if sendable:
        header += ": check it before sending. Nothing leaves until someone presses *Send*."
    blocks = [{"type": "section", "block_id": "email_head", "text": _mrkdwn(header)}, *content]
    status = preview_status(draft)
    if status:
        blocks.append(
            {"type": "context", "block_id": "email_status", "elements": [_mrkdwn(status)]}
        )
    buttons = []
    if sendable:
        send = button(EmailAction.SEND, "Send to vendor", draft.id, "primary")
        send["confirm"] = {
            "title": plain("Send this email?", 100),
            "text": {
                "type": "plain_text",
                "text": one_line(f"It goes to {', '.join(draft.to) or 'nobody'} at once.", 300),
            },
            "confirm": plain("Send", 30),
            "deny": plain("Not yet", 30),
        }
        buttons += [send, button(EmailAction.EDIT, "Edit", draft.id)]
    if draft.state != DraftState.SUPERSEDED:
        buttons.append(button(EmailAction.VIEW, "View full email", draft.id))
    if buttons:
        blocks.append({"type": "actions", "block_id": f"email_{draft.id}", "elements": buttons})
    if sendable:
        text = f"{purpose.label.capitalize()} email for {key}: check it, then Send or Edit"
    else:
        text = f"{purpose.label.capitalize()} email for {key}: {STATE_WORDS[draft.state]}"
    return text, blocks


#: What became of a draft, in the preview's notification text.
STATE_WORDS = {
    DraftState.QUEUED: "sending",
    DraftState.SENT: "sent",
    DraftState.FAILED: "not delivered",
    DraftState.MANUAL: "handed off by hand",
    DraftState.SUPERSEDED: "replaced by an edited draft",
}


def preview_status(draft: EmailDraft) -> str | None:
    """One line on a preview once its draft has moved on (sent, replaced, …); None while a draft.

    The preview is edited in place when the draft changes, so its buttons never offer what can
    no longer be done.
    """
    label = Purpose(draft.purpose).label
    if draft.state == DraftState.QUEUED:
        return (
            f":outbox_tray: {mention(draft.queued_by)} pressed Send"
            f" {slack_date(draft.queued_at)}: sending…"
        )
    if draft.state == DraftState.SENT:
        return (
            f":white_check_mark: Sent {slack_date(draft.sent_at)} by {mention(draft.queued_by)}."
            " Later emails reply on its thread."
        )
    if draft.state == DraftState.FAILED:
        reason = escape(one_line(draft.error or "the mail server refused it", 200))
        return f":warning: Not delivered: {reason}. Press *Send to vendor* to try again, or *Edit*."
    if draft.state == DraftState.MANUAL:
        return (
            f":clipboard: {mention(draft.queued_by)} sends this {label} by hand"
            f" ({slack_date(draft.queued_at)}): email is not set up here."
        )
    if draft.state == DraftState.SUPERSEDED:
        return ":pencil2: Replaced by an edited draft: use the newest preview below."
    return None


def build_full_email(draft: EmailDraft) -> str:
    """The whole email, for the one person who asked to see it (contact details included)."""
    lines = [
        f"*{Purpose(draft.purpose).label.capitalize()}* for *{case_key(draft.case_id)}*",
        f"*To:* {_addresses(draft.to)}",
    ]
    if draft.cc:
        lines.append(f"*Cc:* {_addresses(draft.cc)}")
    lines.append(f"*Subject:* {escape(draft.subject)}")
    if draft.attachments:
        names = ", ".join(escape(str(a.get("name") or "file")) for a in draft.attachments)
        lines.append(f"*Attachments:* {names}")
    body = _fit(draft.body, FULL_EMAIL_LIMIT)
    lines.append(f"```{body}```")
    if body.endswith(CUT_MARK):
        lines.append("_Cut to fit Slack: the email itself carries the whole text._")
    return "\n".join(lines)


def build_missing(draft: EmailDraft) -> str:
    """Why Send was refused: what is missing and how to add each."""
    lines = [f":no_entry: Not sent: the {Purpose(draft.purpose).label} still needs:"]
    lines += [f"• {escape(m['what'])}: {m['how']}" for m in draft.missing]
    return "\n".join(lines)


def build_problems(problems: Sequence[str]) -> str:
    """Why Send was refused: the email would be unsafe or undeliverable as it is."""
    lines = [":no_entry: Not sent:"]
    lines += [f"• {escape(problem)}" for problem in problems]
    lines.append("Press *Edit* to fix it.")
    return "\n".join(lines)


def build_queued_note(draft: EmailDraft, actor: str, receiver: str) -> str:
    """Thread note once Send was pressed."""
    return (
        f":outbox_tray: {mention(actor)} is sending the {Purpose(draft.purpose).label} for "
        f"{case_key(draft.case_id)} to {escape(receiver)}…"
    )


def build_sent_note(draft: EmailDraft, receiver: str) -> str:
    """Thread note once the mail server accepted the email."""
    return (
        f":email: Sent the {Purpose(draft.purpose).label} for {case_key(draft.case_id)} to "
        f"{escape(receiver)} ({_addresses(draft.to)}). Message-ID `{escape(draft.message_id)}`: "
        "later emails reply on this thread."
    )


def build_manual_note(draft: EmailDraft, actor: str, *, private: Sequence[str]) -> str:
    """Thread note when email is not configured: the finished draft, to send by hand."""
    body = _fit(redact(draft.body, private), 2400)
    return (
        f":clipboard: Email is not set up here, so {mention(actor)} sends the "
        f"{Purpose(draft.purpose).label} for {case_key(draft.case_id)} by hand (recorded as a "
        f"manual hand-off). The finished draft:\n*To:* {_addresses(draft.to)}\n"
        f"*Subject:* {escape(redact(draft.subject, private))}\n```{body}```\n"
        f"_{mention(actor)} has the full text, contact details included, in a message only they see._"
    )


def build_handoff_already(case: Case, receiver: str) -> str:
    """Answer to a second hand-off: one went already; Reopen with vendor writes to them again."""
    when = slack_date(case.handoff_emailed_at) if case.handoff_emailed_at else "already"
    return (
        f"The hand-off for {case_key(case.id)} went to {escape(receiver)} {when}: a second one "
        "is not sent. To write to them again on their ticket, use *Reopen with vendor* (or the "
        "reminders' *ask for an update*)."
    )


def build_already(draft: EmailDraft) -> str:
    """Answer to a Send on a draft that already went (double-click, old preview)."""
    key = case_key(draft.case_id)
    if draft.state == DraftState.SUPERSEDED:
        return f"This draft for {key} was replaced by an edited one: use the newest preview."
    if draft.state == DraftState.MANUAL:
        return f"This {Purpose(draft.purpose).label} for {key} was already handed off by hand."
    if draft.state == DraftState.SENT:
        return f"This {Purpose(draft.purpose).label} for {key} was already sent."
    return f"This {Purpose(draft.purpose).label} for {key} is already being sent."
