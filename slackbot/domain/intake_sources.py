"""Cases made from a Slack message, triage, general inquiries, finding cases and the opener's
notices (issue 13): the rules, plain Python, `now` passed in where time matters."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from slackbot.domain.cases import CaseStatus, parse_case_key
from slackbot.domain.intake import SUMMARY_LIMIT
from slackbot.domain.mrkdwn import escape, mention, one_line
from slackbot.domain.pii import pii_error
from slackbot.domain.playbooks import FieldKind, IntakeField, Playbook

#: What the intake form carries of a message's text through the playbook picker (the modal's
#: private_metadata holds 3,000 characters in all).
CARRIED_TEXT = 1500
#: The shortest text `/escalate find` looks for (one letter would match every case).
FIND_MIN = 2
INQUIRY_TOPIC_LIMIT = 200
INQUIRY_ANSWER_LIMIT = 1000


class Triage(StrEnum):
    """Whose problem the intake's triage found it to be (seed 000: ours or the vendor's)."""

    RECEIVER = "receiver"
    OURS = "ours"

    @property
    def label(self) -> str:
        """Human wording."""
        if self is Triage.RECEIVER:
            return "The receiving side's: it needs them"
        return "Ours: our next tier works it"


def parse_triage(raw: Any) -> Triage:
    """The triage outcome picked on the form; the receiving side's when none was picked."""
    try:
        return Triage(str(raw or Triage.RECEIVER.value))
    except ValueError:
        return Triage.RECEIVER


# --- a message as the start of a case -------------------------------------------------------


@dataclass(frozen=True)
class MessageSource:
    """The Slack message a case is made from: where it is, its thread, and a link to it."""

    channel: str
    ts: str
    thread_ts: str | None = None
    link: str | None = None

    def as_metadata(self) -> dict[str, str]:
        """The compact form the intake modal's private_metadata carries."""
        data = {"c": self.channel, "ts": self.ts}
        if self.thread_ts and self.thread_ts != self.ts:
            data["th"] = self.thread_ts
        if self.link:
            data["l"] = self.link
        return data

    @classmethod
    def from_metadata(cls, data: Any) -> MessageSource | None:
        """Read `as_metadata` back; None when there is none or it is malformed."""
        if not isinstance(data, dict) or not data.get("c") or not data.get("ts"):
            return None
        return cls(str(data["c"]), str(data["ts"]), data.get("th"), data.get("l"))

    @property
    def reply_thread(self) -> str:
        """Where a reply to the message goes: its thread, or a new one under it."""
        return self.thread_ts or self.ts


_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")


def plain_message_text(text: str | None) -> str:
    """A message's mrkdwn as a person typed it: links as their label (url), entities decoded."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text or "")
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    return html.unescape(text).strip()


def carried(text: str) -> str:
    """As much of `text` as fits `CARRIED_TEXT` characters once written as JSON."""
    while len(json.dumps(text, ensure_ascii=False)) > CARRIED_TEXT:
        text = text[: len(text) * 4 // 5]
    return text


def description_field(playbook: Playbook) -> IntakeField | None:
    """The field a message's text goes in: `description`, else the first long free-text field
    that is neither a contact detail nor internal-only."""
    chosen = playbook.field("description")
    if chosen is not None and chosen.kind is FieldKind.MULTILINE:
        return chosen
    return next(
        (f for f in playbook.fields if f.kind is FieldKind.MULTILINE and not f.contact), None
    )


@dataclass(frozen=True)
class Prefill:
    """What the intake form starts with, and what the person should know about it."""

    values: dict[str, str]
    notes: tuple[str, ...] = ()


def prefill_from_message(playbook: Playbook, text: str | None) -> Prefill:
    """The summary (the message's first line) and the description (the whole text, cut to the
    field's limit, saying so); a note when the text looks like PII, which the form refuses."""
    body = plain_message_text(text)
    if not body:
        return Prefill({})
    values = {"summary": one_line(body.splitlines()[0], SUMMARY_LIMIT)}
    notes: list[str] = []
    spec = description_field(playbook)
    if spec is not None:
        if len(body) > spec.limit:
            notes.append(
                f"The message has {len(body)} characters; “{spec.label}” takes {spec.limit}: "
                "the rest stays in the message, which the case links."
            )
            body = body[: spec.limit]
        values[spec.id] = body
    if error := pii_error(body):
        notes.append(f"Before you open the case: {error}")
    return Prefill(values, tuple(notes))


def intake_channel_ids(playbook: Playbook, resolve) -> set[str]:
    """The playbook's intake channels as ids (`resolve` turns a `#name` into one)."""
    found = {resolve(channel) for channel in playbook.intake_channels}
    return {channel for channel in found if channel}


# --- finding cases ------------------------------------------------------------------------


@dataclass(frozen=True)
class FindQuery:
    """What `/escalate find` looks for: a case id, or text in summaries and ticket numbers."""

    case_id: int | None
    text: str


def parse_find(words: list[str]) -> FindQuery | str:
    """The query, or what to tell the person when there is none."""
    text = " ".join(words).strip()
    if len(text) < FIND_MIN:
        return (
            "Say what to look for, e.g. `/escalate find XQ123` (our or the vendor's ticket "
            "number, ESC-42, or words of the summary)."
        )
    return FindQuery(parse_case_key(text), text[:100])


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally (escape `\\`)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def closed_window(kind: str, now: datetime) -> tuple[datetime, datetime]:
    """`/escalate list closed [week|month]`: the last 7 or 30 days up to `now`."""
    return now - timedelta(days=30 if kind == "month" else 7), now


# --- general inquiries --------------------------------------------------------------------


@dataclass
class InquiryForm:
    """A checked inquiry form: the values, or one error per field."""

    values: dict[str, str]
    errors: dict[str, str]


def validate_inquiry(playbook: Playbook, raw: dict[str, Any]) -> InquiryForm:
    """Check a general inquiry: category, who asked, the topic and the answer (PII-checked)."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    category = str(raw.get("category") or "")
    if playbook.category(category) is None:
        errors["category"] = "Pick what it was about."
    else:
        values["category"] = category
    requester = str(raw.get("requester_type") or "")
    if requester not in playbook.requester_types:
        errors["requester_type"] = "Pick who asked."
    else:
        values["requester_type"] = requester
    for key, limit, required in (
        ("topic", INQUIRY_TOPIC_LIMIT, True),
        ("answer", INQUIRY_ANSWER_LIMIT, False),
    ):
        text = str(raw.get(key) or "").strip()
        if not text:
            if required:
                errors[key] = "Say in a few words what they asked."
            continue
        if len(text) > limit:
            errors[key] = f"Keep this under {limit} characters (it has {len(text)})."
        elif error := pii_error(text):
            errors[key] = error
        else:
            values[key] = text
    return InquiryForm(values, errors)


# --- telling the opener -------------------------------------------------------------------

#: Event kinds the opener hears about (status moves, undoing one, an update on the case).
NOTICE_KINDS = ("status_changed", "undo", "update")


def opener_notice(
    *,
    case_id: int,
    summary: str,
    kind: str,
    to_status: str | None,
    actor: str,
    opener: str,
    detail: dict[str, Any],
) -> str | None:
    """The DM the opener gets about one event of their case, or None (their own doing, or an
    event they do not hear about)."""
    if actor == opener or kind not in NOTICE_KINDS:
        return None
    head = f"*ESC-{case_id}* · {escape(one_line(summary, 100))}"
    by = f" by {mention(actor)}" if actor.startswith(("U", "W")) else ""
    if kind == "update":
        if detail.get("inbound_id") is not None:
            # The vendor's email: its words are in the thread, masked; the DM only says so.
            return f":incoming_envelope: {head} got a reply by email from the receiving side."
        said = [detail.get(k) for k in ("vendor_status", "note", "vendor_ticket") if detail.get(k)]
        if not said:
            return f":speech_balloon: {head} got an update{by}."
        what = escape(one_line(" · ".join(str(s) for s in said), 300))
        return f":speech_balloon: {head} got an update{by}: {what}"
    if not to_status:
        return None
    try:
        status = CaseStatus(to_status)
    except ValueError:
        return f":arrows_counterclockwise: {head} is now *{escape(to_status)}*{by}."
    if status.is_closed:
        return f":white_check_mark: {head} is closed ({status.label}){by}."
    undone = " (the last move was undone)" if kind == "undo" else ""
    return f"{status.emoji} {head} is now *{status.label}*{by}{undone}."


def opener_dm_footer() -> str:
    """How to stop these DMs."""
    return "_`/escalate show` for the history; `/escalate notify off` stops these messages._"


def inquiry_label(playbook: Playbook | None, playbook_id: str, category: str) -> str:
    """The report's key for an inquiry: "playbook/category"."""
    return f"{playbook.id if playbook else playbook_id}/{category}"
