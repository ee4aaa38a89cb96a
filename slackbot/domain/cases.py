"""Case vocabulary: statuses, priorities, ids, and the rules that derive them."""

from __future__ import annotations

import re
from enum import StrEnum

from slackbot.domain.playbooks import Playbook

CASE_PREFIX = "ESC"
_CASE_KEY = re.compile(rf"^\s*{CASE_PREFIX}-(\d{{1,9}})\s*$", re.IGNORECASE)


class CaseStatus(StrEnum):
    """Where a case stands; the allowed moves between them live in `status_machine`."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    WITH_VENDOR = "with_vendor"
    VENDOR_CONTACTING_USER = "vendor_contacting_user"
    ESCALATED = "escalated"
    RETURNED = "returned"
    RESOLVED = "resolved"
    CLOSED_UNREACHABLE = "closed_unreachable"
    REOPENED = "reopened"

    @property
    def label(self) -> str:
        """Human wording for messages."""
        return STATUS_LABELS[self]

    @property
    def emoji(self) -> str:
        """The emoji shown next to the status."""
        return STATUS_EMOJI[self]

    @property
    def is_closed(self) -> bool:
        """Whether the case is finished (until reopened)."""
        return self in (CaseStatus.RESOLVED, CaseStatus.CLOSED_UNREACHABLE)


STATUS_LABELS = {
    CaseStatus.OPEN: "open",
    CaseStatus.ACKNOWLEDGED: "acknowledged",
    CaseStatus.WITH_VENDOR: "waiting on vendor",
    CaseStatus.VENDOR_CONTACTING_USER: "vendor contacting the end user",
    CaseStatus.ESCALATED: "escalated to the next tier",
    CaseStatus.RETURNED: "returned to our team",
    CaseStatus.RESOLVED: "resolved",
    CaseStatus.CLOSED_UNREACHABLE: "closed: end user unreachable",
    CaseStatus.REOPENED: "reopened",
}

STATUS_EMOJI = {
    CaseStatus.OPEN: ":new:",
    CaseStatus.ACKNOWLEDGED: ":eyes:",
    CaseStatus.WITH_VENDOR: ":hourglass_flowing_sand:",
    CaseStatus.VENDOR_CONTACTING_USER: ":telephone_receiver:",
    CaseStatus.ESCALATED: ":arrow_up:",
    CaseStatus.RETURNED: ":leftwards_arrow_with_hook:",
    CaseStatus.RESOLVED: ":white_check_mark:",
    CaseStatus.CLOSED_UNREACHABLE: ":no_mobile_phones:",
    CaseStatus.REOPENED: ":repeat:",
}


class Priority(StrEnum):
    """Work order: access and enrolment blockers first."""

    HIGH = "high"
    NORMAL = "normal"

    @property
    def label(self) -> str:
        """Human wording."""
        return "High: blocks access or enrolment" if self is Priority.HIGH else "Normal"


def derive_priority(playbook: Playbook, category_id: str) -> Priority:
    """Blocker categories (access, enrolment) are high priority; everything else normal."""
    category = playbook.category(category_id)
    return Priority.HIGH if category is not None and category.blocker else Priority.NORMAL


def case_key(case_id: int) -> str:
    """The short human id of a case: ESC-42."""
    return f"{CASE_PREFIX}-{case_id}"


def parse_case_key(text: str) -> int | None:
    """The numeric id in "ESC-42" (any case), or None if `text` is not a case id."""
    match = _CASE_KEY.match(text or "")
    return int(match.group(1)) if match else None


#: The largest row id we hand out or accept (a 32-bit signed integer: PostgreSQL's `integer`).
MAX_ID = 2**31 - 1


def parse_id(value: object) -> int | None:
    """A row id from a button value or modal metadata (1 … MAX_ID), None if it is not one:
    forged values ("abc", a 30-digit number, a list, true) are never sent to the database."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 10:
            return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
