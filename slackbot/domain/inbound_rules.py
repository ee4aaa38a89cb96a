"""What the bot does with a vendor's email once it is read and matched (issue 14). Pure.

- Which reply kinds become a proposal, and the move a person applies with one click
  (`PROPOSALS`); only the acknowledgement's ticket number is recorded without a person.
- Which attachments are re-uploaded to the case thread and which are only named (`plan_uploads`).
- How an email that matches no case is summarised for a channel that is not a case's: contact
  details we cannot know are hidden by shape (addresses, phone numbers, PII/PHI lines).
- The words of a mail that could be a vendor ticket number, to look cases up by.
- How long to leave a mailbox that is down before trying it again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from slackbot.domain.attachments import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, megabytes
from slackbot.domain.cases import CaseStatus
from slackbot.domain.inbound import Attachment, InboundMail
from slackbot.domain.inbound_classify import ReplyKind
from slackbot.domain.inbound_match import MIN_TICKET_LENGTH
from slackbot.domain.inbound_text import first_lines
from slackbot.domain.pii import find_pii
from slackbot.domain.status_machine import Action
from slackbot.domain.updates import VENDOR_TICKET_LIMIT

REDACTED = "•••"
#: What of the vendor's new text goes into a thread post (Slack's section text is 3,000).
THREAD_TEXT_LIMIT = 2500
#: What goes into the case's history (the event log).
HISTORY_TEXT_LIMIT = 4000
#: The vendor's words quoted as a move's reason.
REASON_LIMIT = 500
#: A mailbox that is down is tried again after as long as it has been down, within these.
MIN_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=15)


@dataclass(frozen=True)
class Proposal:
    """What a reply kind proposes: the move, in words, and the Apply button's label."""

    kind: ReplyKind
    says: str
    apply_label: str
    action: Action | None
    #: For a proposal that moves no status: the question it asks and what applying it did.
    question: str = ""
    done: str = ""

    def action_for(self, status: CaseStatus) -> Action | None:
        """The move Apply makes from `status` (None: nothing moves, someone takes it on).

        A vendor that needs details puts the case in *vendor needs info* (issue 13: their
        clocks pause, ours runs, the vendor's words say what they asked for); already there,
        or not with them, the case stays where it is and the person who applies says they
        send the details.
        """
        if self.kind is ReplyKind.NEEDS_INFO:
            with_them = (CaseStatus.WITH_VENDOR, CaseStatus.VENDOR_CONTACTING_USER)
            return Action.VENDOR_NEEDS_INFO if status in with_them else None
        return self.action


PROPOSALS: dict[ReplyKind, Proposal] = {
    ReplyKind.NEEDS_INFO: Proposal(
        ReplyKind.NEEDS_INFO, "needs more details from us", "Mark as waiting on us", None
    ),
    ReplyKind.CALLOUT_CONFIRMED: Proposal(
        ReplyKind.CALLOUT_CONFIRMED,
        "confirms the call-out time",
        "Mark call-out confirmed",
        None,
        question="*Mark the call-out confirmed?* Until someone does, it stays a request.",
        done="marked the call-out confirmed",
    ),
    ReplyKind.RESOLVED: Proposal(
        ReplyKind.RESOLVED, "says it is resolved", "Resolve the case", Action.RESOLVE
    ),
    ReplyKind.NOT_OUR_ISSUE: Proposal(
        ReplyKind.NOT_OUR_ISSUE,
        "says it is not their issue",
        "Return it to our team",
        Action.NOT_VENDOR_ISSUE,
    ),
    ReplyKind.UNREACHABLE: Proposal(
        ReplyKind.UNREACHABLE,
        "could not reach the end user",
        "Close as unreachable",
        Action.CLOSE_UNREACHABLE,
    ),
}


@dataclass(frozen=True)
class UploadPlan:
    """Attachments to re-upload, and those only named, each with why."""

    upload: tuple[Attachment, ...]
    named: tuple[tuple[Attachment, str], ...]


def plan_uploads(
    attachments: Sequence[Attachment],
    *,
    max_files: int = MAX_FILES,
    max_file: int = MAX_FILE_BYTES,
    max_total: int = MAX_TOTAL_BYTES,
) -> UploadPlan:
    """Which attachments go to the thread: in order, each under `max_file`, together under
    `max_total`, at most `max_files`; the rest are named with the reason."""
    upload: list[Attachment] = []
    named: list[tuple[Attachment, str]] = []
    total = 0
    for item in attachments:
        if item.too_large or item.size > max_file:
            named.append((item, f"over {megabytes(max_file)}"))
        elif not item.data:
            named.append((item, "empty"))
        elif len(upload) >= max_files:
            named.append((item, f"more than {max_files} files"))
        elif total + item.size > max_total:
            named.append((item, f"over {megabytes(max_total)} in all"))
        else:
            upload.append(item)
            total += item.size
    return UploadPlan(tuple(upload), tuple(named))


_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
#: Numbers written the way phone numbers are: a "+" or separators between groups of digits.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d[\d ().-]{6,}\d|\(?\d{2,4}\)?(?:[ .-]\(?\d{2,5}\)?){1,4})(?!\w)"
)


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return REDACTED if digits >= 7 else match.group(0)


def hide_pii_lines(text: str, *, shapes: bool = False) -> str:
    """`text` with every line that holds PII or PHI (pii.find_pii) hidden; with `shapes`,
    email addresses and phone numbers too: for a channel where no case says which values
    are private."""
    lines = []
    for line in (text or "").splitlines():
        findings = find_pii(line)
        if findings:
            lines.append(f"{REDACTED} (hidden: looks like a {findings[0].kind})")
        elif shapes:
            lines.append(_PHONE.sub(_phone, _EMAIL.sub(REDACTED, line)))
        else:
            lines.append(line)
    return "\n".join(lines)


def hide_contact_shapes(text: str) -> str:
    """`text` with email addresses, phone numbers and PII/PHI lines hidden."""
    return hide_pii_lines(text, shapes=True)


@dataclass(frozen=True)
class Summary:
    """An unmatched email as the unmatched channel sees it."""

    sender: str
    subject: str
    lines: str


def summarise(mail: InboundMail, *, lines: int = 4, limit: int = 400) -> Summary:
    """Sender, subject and first lines of `mail`, contact details hidden (the sender's own
    address stays: it says who wrote)."""
    sender = str(mail.sender) if mail.sender else "(no sender)"
    text = hide_contact_shapes(mail.new_text or mail.text)
    return Summary(
        sender=sender,
        subject=hide_contact_shapes(mail.subject) or "(no subject)",
        lines=first_lines(text, lines=lines, limit=limit),
    )


_TOKEN = re.compile(r"#?([A-Za-z0-9][\w./-]*[A-Za-z0-9]|[A-Za-z0-9])")


def ticket_candidates(mail: InboundMail, *, limit: int = 200) -> tuple[str, ...]:
    """Words of the subject and new text that could be a vendor ticket number (a digit in
    them, long enough), to look cases up by before `mentions_ticket` confirms."""
    found: dict[str, None] = {}
    for text in (mail.subject, mail.new_text or mail.text):
        for match in _TOKEN.finditer(text or ""):
            word = match.group(1)
            if (
                MIN_TICKET_LENGTH <= len(word) <= VENDOR_TICKET_LIMIT
                and any(ch.isdigit() for ch in word)
                and word not in found
            ):
                found[word] = None
                if len(found) >= limit:
                    return tuple(found)
    return tuple(found)


def cut(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def retry_delay(failing_since: datetime | None, now: datetime) -> timedelta:
    """How long to leave a mailbox that is down: as long as it has been down (so the waits
    double), at least MIN_RETRY and at most MAX_RETRY."""
    down = now - failing_since if failing_since is not None else timedelta(0)
    return min(max(down, MIN_RETRY), MAX_RETRY)
