"""Emails to the receiving side, composed from a case and its playbook: pure functions.

The hand-off is what the vendor's playbook prescribes: its subject template, and a body with
every detail it requires in the order a reader at the vendor expects (who sends it, the end
user, the alternate contact, the problem, attachments, anything else).

The follow-ups are composed in `handoff_followups`. Nothing here sends anything:
`missing_details` (here) and `draft_checks.email_problems` say what stops a draft from being
sent, and the use case refuses to queue it until both are empty.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slackbot.domain.clock import ensure_utc
from slackbot.domain.intake import is_email
from slackbot.domain.playbooks import FieldKind, IntakeField, Playbook, Section

REDACTED = "•••"


class Purpose(StrEnum):
    """Why an email goes to the receiving side."""

    HANDOFF = "handoff"
    REOPEN = "reopen"
    UPDATE_REQUEST = "update_request"
    LEADERSHIP = "leadership"
    TECHNICAL = "technical"
    #: Issue 13: a reply on the vendor's thread with the details they asked us for.
    DETAILS = "details"

    @property
    def label(self) -> str:
        """Human wording: "hand-off", "escalation to vendor leadership"."""
        return PURPOSE_LABELS[self]


PURPOSE_LABELS = {
    Purpose.HANDOFF: "hand-off",
    Purpose.REOPEN: "reopen request",
    Purpose.UPDATE_REQUEST: "request for an update",
    Purpose.LEADERSHIP: "escalation to vendor leadership",
    Purpose.TECHNICAL: "escalation to vendor technical contacts",
    Purpose.DETAILS: "reply with the details they asked for",
}


@dataclass(frozen=True)
class Sender:
    """Our agent on whose behalf the email goes: their Slack id, name and email address."""

    user_id: str
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class CaseFacts:
    """What composition needs of a case (the domain knows no database rows)."""

    key: str
    summary: str
    internal_ticket: str
    category_label: str
    requester_type: str
    fields: Mapping[str, Any]
    vendor_ticket: str | None = None
    vendor_status: str | None = None
    handed_off_at: datetime | None = None


@dataclass(frozen=True)
class ThreadRef:
    """The email a follow-up replies to: its subject, Message-ID and References."""

    subject: str
    message_id: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Missing:
    """A detail the email needs that nobody has given yet, and how to add it."""

    what: str
    how: str


@dataclass(frozen=True)
class Draft:
    """A composed email, not yet sent."""

    purpose: Purpose
    to: tuple[str, ...]
    subject: str
    text: str
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    attachments: tuple[dict[str, Any], ...] = ()
    missing: tuple[Missing, ...] = ()
    #: Values shown as ••• where everyone in the channel sees the draft.
    private_values: tuple[str, ...] = field(default=(), repr=False)


# --- rendering values ------------------------------------------------------------------------


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def format_when(value: Any, zone_name: str | None = None) -> str:
    """A stored ISO timestamp for people: "2026-11-17 12:20 EST (17:20 UTC)"."""
    try:
        when = ensure_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)
    utc = f"{when:%Y-%m-%d %H:%M} UTC"
    zone = _zone(zone_name)
    if zone is None or zone_name == "UTC":
        return utc
    local = when.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({when:%H:%M} UTC)"


def _value_text(spec: IntakeField, value: Any, zone_name: str | None) -> str:
    if spec.kind is FieldKind.DATETIME:
        return format_when(value, zone_name)
    if spec.kind is FieldKind.FILE:
        return ", ".join(str(item.get("name") or "file") for item in value)
    if spec.kind is FieldKind.PEOPLE:
        return f"{len(value)} colleague(s)"
    return str(value).strip()


def _present(value: Any) -> bool:
    return value not in (None, "", [], ())


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else "" for line in text.splitlines())


def _field_lines(specs: Iterable[IntakeField], fields: Mapping[str, Any], zone: str | None):
    lines: list[str] = []
    for spec in specs:
        value = fields.get(spec.id)
        if not _present(value):
            continue
        text = _value_text(spec, value, zone)
        label = spec.email_label or spec.label
        if spec.kind is FieldKind.MULTILINE or "\n" in text:
            lines.append(f"  {label}:")
            lines.append(_indent(text))
        else:
            lines.append(f"  {label}: {text}")
    return lines


def _sections(playbook: Playbook) -> dict[Section, list[IntakeField]]:
    grouped: dict[Section, list[IntakeField]] = {section: [] for section in Section}
    for spec in playbook.fields:
        grouped[spec.email_section].append(spec)
    return grouped


def _sender_zone(playbook: Playbook, fields: Mapping[str, Any]) -> str | None:
    """The sending agent's time zone, for showing when things happened."""
    for spec in playbook.fields:
        if spec.email_section is Section.SENDER and spec.kind is FieldKind.TIMEZONE:
            value = fields.get(spec.id)
            if value:
                return str(value)
    return None


def subject_values(case: CaseFacts) -> dict[str, str]:
    """What a subject template may name, each value on one line."""
    values = {
        "case_id": case.key,
        "summary": case.summary,
        "internal_ticket": case.internal_ticket,
        "vendor_ticket": case.vendor_ticket or "",
    }
    for key, value in case.fields.items():
        if isinstance(value, str):
            values[key] = value
    return {key: " ".join(str(value).split()) for key, value in values.items()}


def render_subject(template: str, case: CaseFacts) -> tuple[str, list[str]]:
    """The subject from the playbook's template, and the placeholders that had no value."""
    values = subject_values(case)
    empty: list[str] = []
    parts: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        parts.append(literal)
        if name is None:
            continue
        value = values.get(name, "")
        if not value:
            empty.append(name)
        parts.append(value)
    return "".join(parts).strip(), empty


def private_values(playbook: Playbook, fields: Mapping[str, Any]) -> tuple[str, ...]:
    """The contact details in a case: hidden wherever the whole channel reads the draft."""
    found: list[str] = []
    for spec in playbook.fields:
        value = fields.get(spec.id)
        if spec.contact and isinstance(value, str) and value.strip():
            found.extend(line.strip() for line in value.splitlines() if len(line.strip()) >= 2)
    # Longest first, so a value containing another is hidden whole.
    return tuple(sorted(set(found), key=len, reverse=True))


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret value replaced by •••."""
    for secret in secrets:
        if secret:
            # Whole words only: hiding "Pat" must not turn "Pattern" into "•••tern".
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", REDACTED, text)
    return text


# --- what is missing -------------------------------------------------------------------------


def _field_label(playbook: Playbook, field_id: str) -> str:
    spec = playbook.field(field_id)
    if spec is not None:
        return spec.label
    return {
        "internal_ticket": "Our ticket number",
        "summary": "Summary",
        "vendor_ticket": "Vendor ticket number",
        "case_id": "Case id",
    }.get(field_id, field_id)


def missing_details(
    playbook: Playbook, case: CaseFacts, sender: Sender, *, to: Sequence[str], empty: Sequence[str]
) -> tuple[Missing, ...]:
    """Every detail the hand-off requires that has no value yet, with how to add it."""
    missing = list(missing_basics(playbook, sender, to=to[0] if to else None))
    for spec in playbook.fields:
        needed = spec.required and spec.email_section is not Section.INTERNAL
        if needed and not _present(case.fields.get(spec.id)):
            missing.append(Missing(spec.label, f"press *Edit* and fill “{spec.label}”"))
    for name in empty:
        if name == "vendor_ticket":
            how = "record it with *Add update* or `/escalate ticket`"
        else:
            how = f"press *Edit* and fill “{_field_label(playbook, name)}”"
        label = _field_label(playbook, name)
        if all(not item.what.startswith(label) for item in missing):
            missing.append(Missing(f"{label} (the subject needs it)", how))
    return tuple(missing)


# --- composing -------------------------------------------------------------------------------


def signature(sender: Sender) -> list[str]:
    """The closing lines: thanks, the sender's name and address when known."""
    lines = ["", "Thank you,"]
    if sender.name:
        lines.append(sender.name)
    if sender.email:
        lines.append(sender.email)
    return lines


def references_line(case: CaseFacts) -> str:
    """Our ticket and case, and theirs once known: every email cites them."""
    reference = f"Our ticket: {case.internal_ticket} (case {case.key})"
    if case.vendor_ticket:
        reference += f"; your ticket: {case.vendor_ticket}"
    return reference


def _sender_lines(
    sender: Sender, specs: Iterable[IntakeField], case: CaseFacts, zone: str | None
) -> list[str]:
    lines = []
    if sender.name:
        lines.append(f"  Name: {sender.name}")
    if sender.email:
        lines.append(f"  Email: {sender.email}")
    return lines + _field_lines(specs, case.fields, zone)


def _problem_lines(specs: Iterable[IntakeField], case: CaseFacts, zone: str | None) -> list[str]:
    lines = [f"  Summary: {case.summary}", f"  Category: {case.category_label}"]
    lines.append(f"  Affected: {case.requester_type}")
    return lines + _field_lines(specs, case.fields, zone)


def _attachments(specs: Iterable[IntakeField], fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    attachments: list[dict[str, Any]] = []
    for spec in specs:
        value = fields.get(spec.id)
        if spec.kind is FieldKind.FILE and _present(value):
            attachments.extend(dict(item) for item in value)
    return attachments


def _titled(title: str, lines: list[str]) -> list[str]:
    """A section of the body under its heading; nothing when it has no lines."""
    return ["", title, *lines] if lines else []


def _handoff_body(
    playbook: Playbook, case: CaseFacts, sender: Sender, attachments: Sequence[dict[str, Any]]
) -> list[str]:
    """The hand-off's lines, in the order a reader at the vendor expects."""
    receiver = playbook.receiver
    zone = _sender_zone(playbook, case.fields)
    sections = _sections(playbook)
    body = [f"Hello {receiver.name},", ""]
    body.append(
        f"Please open a support ticket on behalf of the {receiver.end_user_label.lower()} below."
    )
    body.append(references_line(case))
    sender_lines = _sender_lines(sender, sections[Section.SENDER], case, zone)
    # The sender's heading stays even when empty: the vendor needs to know who writes.
    body += ["", "TICKET SENDER (our support agent)", *sender_lines]
    body += _titled(
        receiver.end_user_label.upper(),
        _field_lines(sections[Section.END_USER], case.fields, zone),
    )
    body += _titled(
        "ALTERNATE CONTACT (coordinates on the user's behalf)",
        _field_lines(sections[Section.ALTERNATE], case.fields, zone),
    )
    body += ["", "PROBLEM", *_problem_lines(sections[Section.PROBLEM], case, zone)]
    if attachments:
        names = ", ".join(str(item.get("name") or "file") for item in attachments)
        body += ["", f"SCREENSHOTS: {len(attachments)} attached ({names})"]
    body += _titled(
        "ADDITIONAL INFORMATION", _field_lines(sections[Section.ADDITIONAL], case.fields, zone)
    )
    return body + signature(sender)


def compose_handoff(playbook: Playbook, case: CaseFacts, sender: Sender) -> Draft:
    """The hand-off email: the playbook's subject, and every detail it requires, in order."""
    receiver = playbook.receiver
    subject, empty = render_subject(receiver.subject_template, case)
    to = (receiver.email,) if receiver.email else ()
    attachments = _attachments(_sections(playbook)[Section.ATTACHMENTS], case.fields)
    body = _handoff_body(playbook, case, sender, attachments)
    return Draft(
        purpose=Purpose.HANDOFF,
        to=to,
        cc=(sender.email,) if sender.email and is_email(sender.email) else (),
        reply_to=sender.email or None,
        subject=subject,
        text="\n".join(body) + "\n",
        attachments=tuple(attachments),
        missing=missing_details(playbook, case, sender, to=to, empty=empty),
        private_values=private_values(playbook, case.fields),
    )


def missing_basics(playbook: Playbook, sender: Sender, *, to: str | None) -> tuple[Missing, ...]:
    """What every email needs: an address to go to, and the sender's own (the reply goes there)."""
    missing: list[Missing] = []
    if not to:
        missing.append(
            Missing(
                f"{playbook.receiver.name}'s email address",
                f"set `receiver.email` for playbook `{playbook.id}` in the playbooks file",
            )
        )
    if not sender.email:
        missing.append(
            Missing(
                "your email address (the vendor writes back to it)",
                "add an email to your Slack profile; the app needs the users:read.email scope "
                "to read it",
            )
        )
    return tuple(missing)
