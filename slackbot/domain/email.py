"""Email composition rules: safe headers, Message-IDs, and the MIME message itself. Pure."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

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


def reply_to_with(agent: str | None, mailbox: str | None) -> str | None:
    """The Reply-To of an email to the vendor: the agent, and the bot's mailbox when replies are
    read from it (so that pressing Reply reaches both); each address once."""
    addresses: list[str] = []
    for address in (agent, mailbox):
        if address and address.strip().lower() not in (a.lower() for a in addresses):
            addresses.append(address.strip())
    return ", ".join(addresses) or None
