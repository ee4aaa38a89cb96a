"""Which case an inbound email belongs to: the keys to look up, in the order they are trusted.

1. Message-IDs it replies to (In-Reply-To, then References, newest first): our emails' ids.
2. Case ids in the subject ("ESC-42").
3. Our internal ticket number, read from the subject the way the playbook's subject template
   wrote it ("AcmeEHR; XQ123; …").
4. The vendor's ticket number, once a case knows it (`mentions_ticket`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass

from slackbot.domain.cases import CASE_PREFIX
from slackbot.domain.inbound import InboundMail

_CASE_ID = re.compile(rf"(?<![A-Za-z0-9]){CASE_PREFIX}-(\d{{1,9}})(?![A-Za-z0-9])", re.IGNORECASE)
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|antw|tr)\s*(?:\[\d+\])?\s*:\s*|\[external\]\s*)+",
    re.IGNORECASE,
)
_TICKET_TOKEN = r"(?P<ticket>[A-Za-z0-9][\w./-]*)"
#: Shorter ticket numbers match too much by chance ("12" is in every date).
MIN_TICKET_LENGTH = 3


@dataclass(frozen=True)
class MatchKeys:
    """What to look a mail's case up by, each in priority order, without repeats."""

    message_ids: tuple[str, ...]
    case_ids: tuple[int, ...]
    internal_tickets: tuple[str, ...]


def clean_subject(subject: str) -> str:
    """The subject without its "Re:", "Fwd:", "AW:" or "[EXTERNAL]" prefixes."""
    return _REPLY_PREFIX.sub("", subject or "").strip()


def subject_ticket_pattern(template: str) -> re.Pattern[str] | None:
    """A pattern reading `{internal_ticket}` back out of subjects made from `template`, or None
    when the template has no such placeholder or no fixed text to anchor it."""
    parts: list[str] = []
    has_ticket = False
    has_literal = False
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, name, _, _ in parsed:
        has_literal = has_literal or bool(literal.strip())
        parts.append(r"\s*".join(re.escape(word) for word in literal.split(" ")))
        if name == "internal_ticket" and not has_ticket:
            parts.append(_TICKET_TOKEN)
            has_ticket = True
        elif name is not None:
            parts.append(".*?")
    if not (has_ticket and has_literal):
        return None
    return re.compile("".join(parts), re.IGNORECASE)


def _unique(items: Sequence[object]) -> tuple:
    return tuple(dict.fromkeys(items))


def match_keys(mail: InboundMail, *, ticket_patterns: Sequence[re.Pattern[str]] = ()) -> MatchKeys:
    """The lookup keys of `mail`; `ticket_patterns` read our internal ticket number out of the
    subject (see `subject_ticket_pattern`), each with a group named "ticket"."""
    replied = ([mail.in_reply_to] if mail.in_reply_to else []) + list(reversed(mail.references))
    subject = clean_subject(mail.subject)
    case_ids = [int(number) for number in _CASE_ID.findall(subject)]
    tickets = []
    for pattern in ticket_patterns:
        for match in pattern.finditer(subject):
            value = (match.groupdict().get("ticket") or "").strip()
            if len(value) >= MIN_TICKET_LENGTH:
                tickets.append(value)
    return MatchKeys(_unique(replied), _unique(case_ids), _unique(tickets))


def mentions_ticket(mail: InboundMail, ticket: str | None) -> bool:
    """Whether the subject or the new text names the vendor ticket number as a whole token."""
    ticket = (ticket or "").strip().lstrip("#")
    if len(ticket) < MIN_TICKET_LENGTH:
        return False
    token = re.compile(rf"(?<![A-Za-z0-9]){re.escape(ticket)}(?![A-Za-z0-9])", re.IGNORECASE)
    return any(token.search(text) for text in (mail.subject, mail.new_text or mail.text))
