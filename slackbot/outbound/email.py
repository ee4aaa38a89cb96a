"""Email through the outbox: queued in the use case's transaction, sent over SMTP afterwards.

The Message-ID is fixed when the email is queued, so a retry after a crash re-sends the same
message (receiving systems can recognise it) and threading replies can cite it before it is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from slackbot.domain.mrkdwn import escape
from slackbot.outbound.smtp import SmtpError, SmtpTransport
from slackbot.outbox import PermanentFailure, RetryLater, enqueue
from storage.models import OutboxItem

if TYPE_CHECKING:
    from slackbot.services import Services

EMAIL = "email"
_HEADER_UNSAFE = re.compile(r"[\r\n\x00]")


class EmailRejected(ValueError):
    """The email cannot be sent as asked (header injection, bad address)."""


def check_header(name: str, value: str) -> str:
    """Refuse newlines in anything that reaches a header (header injection)."""
    if _HEADER_UNSAFE.search(value or ""):
        raise EmailRejected(
            f"{name} contains a line break, which is not allowed in an email header"
        )
    return value


def new_message_id(email_from: str | None) -> str:
    """A fresh Message-ID in the sender's domain."""
    domain = (email_from or "").rpartition("@")[2].strip(">") or "escalations.invalid"
    return make_msgid(domain=domain)


def queue_email(
    session: Session,
    *,
    to: Sequence[str],
    subject: str,
    text: str,
    now: datetime,
    email_from: str | None,
    case_id: int | None = None,
    cc: Sequence[str] = (),
    reply_to: str | None = None,
    html: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    attachments: Sequence[dict[str, Any]] = (),
    dedup_key: str | None = None,
    message_id: str | None = None,
    purpose: str = "",
    context: dict[str, Any] | None = None,
) -> OutboxItem:
    """Record an email to send; raises EmailRejected for unsafe headers or no recipients."""
    if not to:
        raise EmailRejected("the email has no recipient")
    for address in [*to, *cc, *([reply_to] if reply_to else [])]:
        check_header("an address", address)
    check_header("the subject", subject)
    for ref in [in_reply_to or "", *references]:
        check_header("a threading header", ref)
    payload: dict[str, Any] = {
        "to": list(to),
        "cc": list(cc),
        "reply_to": reply_to,
        "subject": subject,
        "text": text,
        "message_id": message_id or new_message_id(email_from),
        "in_reply_to": in_reply_to,
        "references": list(references),
        "attachments": list(attachments),
        "purpose": purpose,
    }
    if html:
        payload["html"] = html
    if context:
        # What the feature that queued it needs back when it is sent (e.g. its draft id).
        payload.update({key: value for key, value in context.items() if key not in payload})
    return enqueue(
        session, kind=EMAIL, case_id=case_id, payload=payload, now=now, dedup_key=dedup_key
    )


def build_message(payload: dict[str, Any], *, email_from: str, date: datetime) -> EmailMessage:
    """The MIME message for an outbox email payload."""
    message = EmailMessage()
    message["From"] = check_header("EMAIL_FROM", email_from)
    message["To"] = ", ".join(check_header("an address", a) for a in payload["to"])
    if payload.get("cc"):
        message["Cc"] = ", ".join(check_header("an address", a) for a in payload["cc"])
    if payload.get("reply_to"):
        message["Reply-To"] = check_header("Reply-To", payload["reply_to"])
    message["Subject"] = check_header("the subject", payload["subject"])
    message["Message-ID"] = payload["message_id"]
    message["Date"] = formatdate(date.timestamp(), localtime=False)
    if payload.get("in_reply_to"):
        message["In-Reply-To"] = check_header("In-Reply-To", payload["in_reply_to"])
    if payload.get("references"):
        message["References"] = check_header("References", " ".join(payload["references"]))
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    return message


class EmailDelivery:
    """The outbox handler for emails."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.transport = SmtpTransport.from_settings(services.settings)
        #: Hooks that add attachments to a message before it is sent: fn(message, payload).
        self.preparers: list[Any] = []
        #: What to record once an email of a purpose is accepted or given up, by purpose:
        #: fn(session, item, result_or_reason), in the outbox's transaction.
        self.on_sent: dict[str, Callable[[Session, OutboxItem, dict[str, Any]], None]] = {}
        self.on_given_up: dict[str, Callable[[Session, OutboxItem, str], None]] = {}

    def perform(self, item: OutboxItem) -> dict[str, Any]:
        """Send one queued email."""
        if self.transport is None:
            raise PermanentFailure("email is not configured (SMTP_HOST is not set)")
        try:
            message = build_message(
                item.payload,
                email_from=self.services.settings.email_from or "",
                date=self.services.clock.now(),
            )
        except EmailRejected as exc:
            raise PermanentFailure(str(exc)) from None
        for prepare in self.preparers:
            prepare(message, item.payload)
        try:
            self.transport.send(message)
        except SmtpError as exc:
            if exc.transient:
                raise RetryLater(exc.reason) from None
            raise PermanentFailure(exc.reason) from None
        return {"message_id": item.payload["message_id"]}

    def sent(self, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
        """Let the feature that queued the email record that the server accepted it."""
        hook = self.on_sent.get(item.payload.get("purpose") or "")
        if hook is not None:
            hook(session, item, result)

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        """Say in the case thread that an email could not be sent, with the server's reason."""
        hook = self.on_given_up.get(item.payload.get("purpose") or "")
        if hook is not None:
            hook(session, item, reason)
        if item.case_id is None:
            return
        from slackbot.slack.delivery import post_in_thread

        post_in_thread(
            session,
            case_id=item.case_id,
            now=self.services.clock.now(),
            text=(
                f":x: The email “{escape(item.payload.get('subject', ''))}” could not be sent: "
                f"{escape(reason)}"
            ),
        )


def register(services: Services) -> EmailDelivery:
    """Register the email outbox handler."""
    delivery = EmailDelivery(services)
    services.extras["email_delivery"] = delivery
    services.outbox.register(
        EMAIL, delivery.perform, on_done=delivery.sent, on_failed=delivery.failed
    )
    return delivery
