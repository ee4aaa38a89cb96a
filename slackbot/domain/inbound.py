"""Inbound email: raw RFC 5322 bytes from the mailbox turned into an `InboundMail`.

Pure: the caller passes the bytes, `now` and who we are (EMAIL_FROM); nothing here reads a
socket or a database. Parsing never raises on bad mail: it returns what could be read and says
what could not in `problems`, so that one bad message never stops the poller.

Also here: how the poller moves along a folder (`plan_poll`), and the vocabulary of what
became of each message (`InboundStatus`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from enum import StrEnum

from slackbot.domain.inbound_mime import (
    ATTACHMENT_LIMIT,
    RAW_HEADERS,
    Address,
    Attachment,
    addresses,
    header,
    read_body,
)
from slackbot.domain.inbound_text import new_text

__all__ = [
    "ATTACHMENT_LIMIT",
    "Address",
    "Attachment",
    "AutoKind",
    "AutoMarker",
    "InboundMail",
    "InboundStatus",
    "PollAction",
    "PollPlan",
    "message_ids",
    "parse_mail",
    "plan_poll",
]

#: Longest Message-ID kept as the dedup key; longer ones (legal, rare) are hashed.
MESSAGE_ID_LIMIT = 250
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_BARE_ID = re.compile(r"^[^<>\s@]+@[^<>\s@]+$")


class InboundStatus(StrEnum):
    """What became of one inbound message (stored with it, so each is handled once)."""

    POSTED = "posted"
    UNMATCHED = "unmatched"
    IGNORED = "ignored"
    SKIPPED = "skipped"
    FAILED = "failed"


class AutoKind(StrEnum):
    """Why a message may not be a person writing to us."""

    OWN_MAIL = "own_mail"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    #: Notifications from systems (a ticket system's "we received your request") are kept:
    #: vendors acknowledge that way, and the bot never answers mail, so they cannot loop.
    AUTO_GENERATED = "auto_generated"


#: Kinds that are never posted as the vendor's word.
SKIPPED_KINDS = (AutoKind.OWN_MAIL, AutoKind.BOUNCE, AutoKind.AUTO_REPLY)


@dataclass(frozen=True)
class AutoMarker:
    """One sign that a message is automatic, with the header that says so."""

    kind: AutoKind
    evidence: str


@dataclass(frozen=True)
class InboundMail:
    """One email as read from the mailbox, decoded as well as it could be."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    subject: str
    sent_at: datetime | None
    received_at: datetime
    #: The whole body as text (HTML converted); `new_text` is what the sender just wrote.
    text: str
    new_text: str
    html_only: bool
    attachments: tuple[Attachment, ...]
    markers: tuple[AutoMarker, ...]
    problems: tuple[str, ...]
    size: int
    #: Unique per message: the Message-ID, or a digest of the bytes when there is none.
    dedup_key: str

    @property
    def skip_reason(self) -> str | None:
        """Why this message must not be posted as the vendor's word (our own mail, a bounce,
        an out-of-office reply), or None."""
        for marker in self.markers:
            if marker.kind in SKIPPED_KINDS:
                return f"{marker.kind.value.replace('_', ' ')} ({marker.evidence})"
        return None

    def has_marker(self, kind: AutoKind) -> bool:
        """Whether a marker of this kind was found."""
        return any(marker.kind is kind for marker in self.markers)


def message_ids(value: str) -> tuple[str, ...]:
    """The Message-IDs in a Message-ID, In-Reply-To or References value, as "<id@host>"."""
    found = tuple(f"<{item}>" for item in _MESSAGE_ID.findall(value or ""))
    if not found and _BARE_ID.match((value or "").strip()):
        return (f"<{value.strip()}>",)
    return found


def _dedup_key(message_id: str | None, raw: bytes) -> str:
    if message_id and len(message_id) <= MESSAGE_ID_LIMIT:
        return message_id
    source = message_id.encode("utf-8", "surrogateescape") if message_id else raw
    return f"<{hashlib.sha256(source).hexdigest()[:40]}@no-message-id.invalid>"


def _sent_at(message: Message, now: datetime, problems: list[str]) -> datetime | None:
    value = header(message, "Date", problems)
    if not value:
        problems.append("no Date header")
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        problems.append(f"Date header {value[:60]!r} is not a date")
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when > now + timedelta(days=1):
        problems.append(f"Date header {value[:60]!r} is in the future")
    return when


def _auto_markers(message: Message, problems: list[str]) -> list[AutoMarker]:
    markers = []
    submitted = header(message, "Auto-Submitted", problems)
    token = submitted.split(";")[0].split("(")[0].strip().lower()
    if token and token != "no":
        kind = AutoKind.AUTO_REPLY if token == "auto-replied" else AutoKind.AUTO_GENERATED
        markers.append(AutoMarker(kind, f"Auto-Submitted: {token}"))
    for name in ("X-Autoreply", "X-Autorespond"):
        if message.get(name) is not None:
            markers.append(AutoMarker(AutoKind.AUTO_REPLY, f"{name} header"))
    precedence = header(message, "Precedence", problems).lower()
    if precedence in ("bulk", "junk", "auto_reply"):
        kind = AutoKind.AUTO_REPLY if precedence == "auto_reply" else AutoKind.AUTO_GENERATED
        markers.append(AutoMarker(kind, f"Precedence: {precedence}"))
    return markers


def _bounce_markers(message: Message, sender: Address | None) -> list[AutoMarker]:
    markers = []
    report_type = str(message.get_param("report-type", "", header="content-type") or "")
    if message.get_content_type() == "multipart/report" and report_type.lower() in (
        "delivery-status",
        "disposition-notification",
    ):
        markers.append(AutoMarker(AutoKind.BOUNCE, f"multipart/report; report-type={report_type}"))
    if sender and sender.address.partition("@")[0] in ("mailer-daemon", "postmaster"):
        markers.append(AutoMarker(AutoKind.BOUNCE, f"From {sender.address}"))
    return markers


def _own_markers(
    sender: Address | None, message_id: str | None, own_address: str | None, own_domain: str | None
) -> list[AutoMarker]:
    markers = []
    if sender and own_address and sender.address == own_address.strip().lower():
        markers.append(AutoMarker(AutoKind.OWN_MAIL, f"From {sender.address}"))
    domain = (own_domain or "").strip().lower()
    if message_id and domain and message_id.lower().rstrip(">").endswith("@" + domain):
        markers.append(AutoMarker(AutoKind.OWN_MAIL, f"Message-ID in {domain}"))
    return markers


def _first_id(message: Message, name: str, problems: list[str]) -> str | None:
    ids = message_ids(header(message, name, problems))
    return ids[0] if ids else None


def parse_mail(
    raw: bytes,
    *,
    now: datetime,
    own_address: str | None = None,
    own_domain: str | None = None,
    attachment_limit: int = ATTACHMENT_LIMIT,
) -> InboundMail:
    """Read one raw email; never raises on bad mail (see `problems`).

    `own_address` is EMAIL_FROM; `own_domain`, the domain of our Message-IDs, defaults to its
    domain. Attachments over `attachment_limit` bytes keep their name and size, not their bytes.
    """
    problems: list[str] = []
    message = BytesParser(policy=RAW_HEADERS).parsebytes(raw)
    message_id = _first_id(message, "Message-ID", problems)
    if message_id is None:
        problems.append("no Message-ID header")
    senders = addresses(message, "From", problems)
    if not senders:
        problems.append("no From address")
    sender = senders[0] if senders else None
    if own_domain is None and own_address:
        own_domain = own_address.rpartition("@")[2].strip(" >")
    body = read_body(message, limit=attachment_limit, problems=problems)
    markers = _own_markers(sender, message_id, own_address, own_domain)
    markers += _bounce_markers(message, sender) + _auto_markers(message, problems)
    return InboundMail(
        message_id=message_id,
        in_reply_to=_first_id(message, "In-Reply-To", problems),
        references=message_ids(header(message, "References", problems)),
        sender=sender,
        to=addresses(message, "To", problems),
        cc=addresses(message, "Cc", problems),
        reply_to=addresses(message, "Reply-To", problems),
        subject=header(message, "Subject", problems),
        sent_at=_sent_at(message, now, problems),
        received_at=now,
        text=body.text,
        new_text=new_text(body.text),
        html_only=body.html_only,
        attachments=body.attachments,
        markers=tuple(markers),
        problems=tuple(dict.fromkeys(problems)),
        size=len(raw),
        dedup_key=_dedup_key(message_id, raw),
    )


class PollAction(StrEnum):
    """How the next poll of a folder reads it."""

    #: Never read before: from the start (the Message-IDs seen decide what is new).
    FIRST = "first"
    CONTINUE = "continue"
    #: UIDVALIDITY changed (or the UIDs went backwards): every UID is new, reread them all.
    RESCAN = "rescan"


@dataclass(frozen=True)
class PollPlan:
    """Read UIDs greater than `after_uid`; the reason is for the log."""

    action: PollAction
    after_uid: int
    reason: str


def plan_poll(
    stored: tuple[int, int] | None, uidvalidity: int, uidnext: int | None = None
) -> PollPlan:
    """Continue after the stored last UID, or rescan when the server's UIDVALIDITY differs
    from the stored one (`stored` is (uidvalidity, last_uid), None for a new folder)."""
    if stored is None:
        return PollPlan(PollAction.FIRST, 0, "first poll of this folder")
    stored_validity, last_uid = stored
    if stored_validity != uidvalidity:
        return PollPlan(
            PollAction.RESCAN, 0, f"UIDVALIDITY changed from {stored_validity} to {uidvalidity}"
        )
    if uidnext is not None and last_uid >= uidnext:
        # The server promises UIDs only grow: a last UID at or past UIDNEXT means it forgot.
        return PollPlan(
            PollAction.RESCAN, 0, f"last UID {last_uid} is not below the server's UIDNEXT {uidnext}"
        )
    return PollPlan(PollAction.CONTINUE, last_uid, f"after UID {last_uid}")
