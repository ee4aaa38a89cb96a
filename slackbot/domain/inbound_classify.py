"""What a vendor's reply says, by the playbook's regular expressions (`[playbook.inbound]`).

Only the acknowledgement is acted on without a person (its ticket number is data); every other
kind becomes a proposal someone applies or ignores. A reply no pattern recognises is a progress
update: that is what the vendor's silence-breaking email is, whatever its words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from slackbot.domain.inbound import InboundMail
from slackbot.domain.playbooks import InboundPatterns
from slackbot.domain.updates import VENDOR_TICKET_LIMIT


class ReplyKind(StrEnum):
    """The common things a vendor writes back (seed 000's ticket process)."""

    ACKNOWLEDGEMENT = "acknowledgement"
    NEEDS_INFO = "needs_info"
    RESOLVED = "resolved"
    NOT_OUR_ISSUE = "not_our_issue"
    UNREACHABLE = "unreachable"
    #: The vendor confirms the call-out time we asked for (issue 13).
    CALLOUT_CONFIRMED = "callout_confirmed"
    PROGRESS = "progress"


#: The first kind whose pattern matches wins. Most specific first: the 72-hour close says
#: "closed" too, and "not our issue" mails often close the ticket as well.
PRIORITY = (
    ReplyKind.UNREACHABLE,
    ReplyKind.NOT_OUR_ISSUE,
    ReplyKind.NEEDS_INFO,
    ReplyKind.CALLOUT_CONFIRMED,
    ReplyKind.RESOLVED,
    ReplyKind.ACKNOWLEDGEMENT,
)


@dataclass(frozen=True)
class ReplyPatterns:
    """A playbook's inbound patterns, compiled (case-insensitive)."""

    by_kind: Mapping[ReplyKind, tuple[re.Pattern[str], ...]]

    @classmethod
    def from_config(cls, inbound: InboundPatterns | None) -> ReplyPatterns:
        """Compile a playbook's `inbound` table (None: nothing is recognised)."""
        if inbound is None:
            return cls({})
        return cls(
            {
                kind: tuple(re.compile(p, re.IGNORECASE) for p in getattr(inbound, kind.value))
                for kind in PRIORITY
            }
        )


@dataclass(frozen=True)
class Classification:
    """What a reply is, the vendor ticket number if an acknowledgement pattern named one,
    and the words that decided it (empty for a progress update)."""

    kind: ReplyKind
    vendor_ticket: str | None = None
    evidence: str = ""


def _ticket(match: re.Match[str]) -> str | None:
    value = (match.groupdict().get("ticket") or "").strip().lstrip("#").strip()
    if not value or len(value) > VENDOR_TICKET_LIMIT or any(ch.isspace() for ch in value):
        return None
    return value


def _vendor_ticket(text: str, patterns: ReplyPatterns) -> str | None:
    for pattern in patterns.by_kind.get(ReplyKind.ACKNOWLEDGEMENT, ()):
        for match in pattern.finditer(text):
            ticket = _ticket(match)
            if ticket:
                return ticket
    return None


def classify_text(subject: str, text: str, patterns: ReplyPatterns) -> Classification:
    """Classify a reply from its subject and new text."""
    whole = f"{subject}\n{text}"
    ticket = _vendor_ticket(whole, patterns)
    for kind in PRIORITY:
        for pattern in patterns.by_kind.get(kind, ()):
            match = pattern.search(whole)
            if match:
                return Classification(kind, ticket, " ".join(match.group(0).split())[:200])
    return Classification(ReplyKind.PROGRESS, ticket)


def classify(mail: InboundMail, patterns: ReplyPatterns) -> Classification:
    """Classify an inbound mail by what its sender just wrote (the whole text if trimming
    left nothing)."""
    return classify_text(mail.subject, mail.new_text or mail.text, patterns)
