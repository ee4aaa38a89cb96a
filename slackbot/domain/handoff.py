"""Emails to the receiving side, composed from a case and its playbook: pure functions.

The hand-off is what the vendor's playbook prescribes: its subject template, and a body with
every detail it requires in the order a reader at the vendor expects (who sends it, the end
user, the alternate contact, the problem, attachments, anything else). Follow-ups (reopen,
a request for an update, escalation to the vendor's leadership or technical contacts) reply on
the hand-off's email thread when there is one.

Nothing here sends anything: `missing_details` and `email_problems` say what stops a draft
from being sent, and the use case refuses to queue it until both are empty.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slackbot.domain.clock import ensure_utc
from slackbot.domain.intake import is_email
from slackbot.domain.playbooks import Contact, FieldKind, IntakeField, Playbook, Section

#: Header fields longer than this are refused (RFC 5322 allows 998 characters a line).
SUBJECT_LIMIT = 250
_HEADER_UNSAFE = re.compile(r"[\r\n\x00]")
REDACTED = "•••"


class Purpose(StrEnum):
    """Why an email goes to the receiving side."""

    HANDOFF = "handoff"
    REOPEN = "reopen"
    UPDATE_REQUEST = "update_request"
    LEADERSHIP = "leadership"
    TECHNICAL = "technical"

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
    missing = list(_missing_basics(playbook, sender, to=to[0] if to else None))
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


def email_problems(draft: Draft) -> list[str]:
    """What makes a draft unsafe to send as it is: bad addresses, header injection."""
    problems: list[str] = []
    for address in (*draft.to, *draft.cc, *((draft.reply_to,) if draft.reply_to else ())):
        if _HEADER_UNSAFE.search(address) or not is_email(address):
            problems.append(f"“{address[:80]}” is not a valid email address")
    if _HEADER_UNSAFE.search(draft.subject):
        problems.append("the subject contains a line break, which an email header can't carry")
    if len(draft.subject) > SUBJECT_LIMIT:
        problems.append(f"the subject is longer than {SUBJECT_LIMIT} characters")
    if not draft.subject.strip():
        problems.append("the subject is empty")
    for ref in (draft.in_reply_to or "", *draft.references):
        if _HEADER_UNSAFE.search(ref):
            problems.append("a threading header contains a line break")
    if not draft.text.strip():
        problems.append("the body is empty")
    return problems


# --- composing -------------------------------------------------------------------------------


def _signature(sender: Sender) -> list[str]:
    lines = ["", "Thank you,"]
    if sender.name:
        lines.append(sender.name)
    if sender.email:
        lines.append(sender.email)
    return lines


def _references(case: CaseFacts) -> str:
    reference = f"Our ticket: {case.internal_ticket} (case {case.key})"
    if case.vendor_ticket:
        reference += f"; your ticket: {case.vendor_ticket}"
    return reference


def compose_handoff(playbook: Playbook, case: CaseFacts, sender: Sender) -> Draft:
    """The hand-off email: the playbook's subject, and every detail it requires, in order."""
    receiver = playbook.receiver
    fields = case.fields
    zone = _sender_zone(playbook, fields)
    sections = _sections(playbook)
    subject, empty = render_subject(receiver.subject_template, case)
    to = (receiver.email,) if receiver.email else ()

    body = [f"Hello {receiver.name},", ""]
    body.append(
        f"Please open a support ticket on behalf of the {receiver.end_user_label.lower()} below."
    )
    body.append(_references(case))

    sender_lines = []
    if sender.name:
        sender_lines.append(f"  Name: {sender.name}")
    if sender.email:
        sender_lines.append(f"  Email: {sender.email}")
    sender_lines += _field_lines(sections[Section.SENDER], fields, zone)
    body += ["", "TICKET SENDER (our support agent)", *sender_lines]

    end_user = _field_lines(sections[Section.END_USER], fields, zone)
    if end_user:
        body += ["", receiver.end_user_label.upper(), *end_user]
    alternate = _field_lines(sections[Section.ALTERNATE], fields, zone)
    if alternate:
        body += ["", "ALTERNATE CONTACT (coordinates on the user's behalf)", *alternate]

    problem = [f"  Summary: {case.summary}", f"  Category: {case.category_label}"]
    problem.append(f"  Affected: {case.requester_type}")
    problem += _field_lines(sections[Section.PROBLEM], fields, zone)
    body += ["", "PROBLEM", *problem]

    attachments: list[dict[str, Any]] = []
    for spec in sections[Section.ATTACHMENTS]:
        value = fields.get(spec.id)
        if spec.kind is FieldKind.FILE and _present(value):
            attachments.extend(dict(item) for item in value)
    if attachments:
        names = ", ".join(str(item.get("name") or "file") for item in attachments)
        body += ["", f"SCREENSHOTS: {len(attachments)} attached ({names})"]

    additional = _field_lines(sections[Section.ADDITIONAL], fields, zone)
    if additional:
        body += ["", "ADDITIONAL INFORMATION", *additional]
    body += _signature(sender)

    draft = Draft(
        purpose=Purpose.HANDOFF,
        to=to,
        cc=(sender.email,) if sender.email and is_email(sender.email) else (),
        reply_to=sender.email or None,
        subject=subject,
        text="\n".join(body) + "\n",
        attachments=tuple(attachments),
        private_values=private_values(playbook, fields),
    )
    missing = missing_details(playbook, case, sender, to=to, empty=empty)
    return replace(draft, missing=missing)


def reply_subject(subject: str) -> str:
    """ "Re: <subject>", without stacking Re:s."""
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _threading(thread: ThreadRef | None) -> dict[str, Any]:
    if thread is None:
        return {}
    return {
        "in_reply_to": thread.message_id,
        "references": (*thread.references, thread.message_id),
    }


def _fallback_subject(playbook: Playbook, case: CaseFacts) -> str:
    subject, _ = render_subject(playbook.receiver.subject_template, case)
    return subject or f"{case.key}: {case.summary}"


def compose_reopen(
    playbook: Playbook, case: CaseFacts, sender: Sender, thread: ThreadRef | None, note: str = ""
) -> Draft:
    """A reply on the hand-off's thread asking the vendor to reopen their ticket."""
    receiver = playbook.receiver
    subject = reply_subject(thread.subject) if thread else _fallback_subject(playbook, case)
    ticket = f" {case.vendor_ticket}" if case.vendor_ticket else ""
    body = [
        f"Hello {receiver.name},",
        "",
        f"The {receiver.end_user_label.lower()} still needs help with this issue: please reopen "
        f"ticket{ticket}.",
        _references(case),
    ]
    if note.strip():
        body += ["", note.strip()]
    body += _signature(sender)
    # Without a hand-off sent from here it goes as a new email citing their ticket number.
    missing = _missing_basics(playbook, sender, to=receiver.email)
    return Draft(
        purpose=Purpose.REOPEN,
        to=(receiver.email,) if receiver.email else (),
        cc=(sender.email,) if sender.email else (),
        reply_to=sender.email or None,
        subject=subject,
        text="\n".join(body) + "\n",
        missing=missing,
        private_values=private_values(playbook, case.fields),
        **_threading(thread),
    )


def compose_update_request(
    playbook: Playbook, case: CaseFacts, sender: Sender, thread: ThreadRef | None, now: datetime
) -> Draft:
    """A reply on the hand-off's thread asking the vendor for the update they promised."""
    receiver = playbook.receiver
    subject = reply_subject(thread.subject) if thread else _fallback_subject(playbook, case)
    since = ensure_utc(case.handed_off_at) if case.handed_off_at else None
    waited = ""
    if since is not None:
        hours = int((ensure_utc(now) - since).total_seconds() // 3600)
        waited = f" We handed it to you on {since:%Y-%m-%d} ({hours} hours ago)."
    body = [
        f"Hello {receiver.name},",
        "",
        f"Could you send us a progress update on this ticket?{waited}",
        _references(case),
        *_signature(sender),
    ]
    return Draft(
        purpose=Purpose.UPDATE_REQUEST,
        to=(receiver.email,) if receiver.email else (),
        cc=(sender.email,) if sender.email else (),
        reply_to=sender.email or None,
        subject=subject,
        text="\n".join(body) + "\n",
        missing=_missing_basics(playbook, sender, to=receiver.email),
        private_values=private_values(playbook, case.fields),
        **_threading(thread),
    )


def compose_contact_escalation(
    playbook: Playbook,
    case: CaseFacts,
    sender: Sender,
    *,
    purpose: Purpose,
    history: Sequence[str],
    thread: ThreadRef | None,
) -> Draft:
    """An email to the vendor's leadership or technical contacts citing their ticket and history."""
    contacts: tuple[Contact, ...] = (
        playbook.leadership_contacts
        if purpose is Purpose.LEADERSHIP
        else playbook.technical_contacts
    )
    receiver = playbook.receiver
    level = "leadership" if purpose is Purpose.LEADERSHIP else "technical"
    ticket = case.vendor_ticket or "(no ticket number received yet)"
    base = thread.subject if thread else _fallback_subject(playbook, case)
    subject = f"Escalation ({level}): {base}"
    names = ", ".join(contact.name for contact in contacts) or "team"
    body = [
        f"Hello {names},",
        "",
        f"We are escalating a ticket with {receiver.name} to you: it needs your attention.",
        f"Your ticket number: {ticket}",
        _references(case),
        f"Summary: {case.summary}",
    ]
    if case.vendor_status:
        body.append(f"Last status from your team: {case.vendor_status}")
    if history:
        body += ["", "HISTORY", *(f"  {line}" for line in history)]
    body += _signature(sender)
    # The contacts are the recipients here: only the sender's own address can be missing.
    missing = _missing_basics(playbook, sender, to="contacts")
    if not contacts:
        missing = (
            Missing(
                f"{receiver.name}'s {level} escalation contacts",
                f"add `{level}_contacts` to playbook `{playbook.id}` in the playbooks file",
            ),
            *missing,
        )
    cc = tuple(address for address in (receiver.email, sender.email) if address)
    return Draft(
        purpose=purpose,
        to=tuple(contact.email for contact in contacts),
        cc=cc,
        reply_to=sender.email or None,
        subject=subject,
        text="\n".join(body) + "\n",
        missing=missing,
        private_values=private_values(playbook, case.fields),
        # Not a reply: a new conversation with other people, that cites the original.
        references=(thread.message_id,) if thread else (),
    )


def _missing_basics(playbook: Playbook, sender: Sender, *, to: str | None) -> tuple[Missing, ...]:
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
