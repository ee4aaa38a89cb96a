"""Working a case beyond its status (issue 13): editing its facts, assigning it, what the
vendor asked us for, our engineers' assessment and a requested call-out time. Pure rules.

- An edit goes through the intake's own checks (`validate_intake`, PII guard included) for the
  fields it changes; priority may be chosen, else it follows a changed category.
- Free text (what the vendor asked for, the assessment) is refused when it looks like PII/PHI.
- A call-out time must lie ahead; it stays *requested* until the vendor confirms it.
- The technical escalation waits for the playbook's engineering tier to assess the case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slackbot.domain.cases import Priority, derive_priority
from slackbot.domain.intake import validate_intake
from slackbot.domain.pii import pii_error
from slackbot.domain.playbooks import Playbook

#: What *Edit case* may change, in the form's order.
EDITABLE = ("summary", "category", "tier", "priority", "requester_type")
EDIT_LABELS = {
    "summary": "summary",
    "category": "category",
    "tier": "tier",
    "priority": "priority",
    "requester_type": "who is affected",
}
NEEDS_INFO_LIMIT = 1500
ASSESSMENT_LIMIT = 1500


@dataclass(frozen=True)
class CaseFacts:
    """The editable facts of a case as they stand."""

    summary: str
    category: str
    tier: int
    priority: str
    requester_type: str
    internal_ticket: str


@dataclass
class EditResult:
    """What changes (field → (before, after)), or errors by field id."""

    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def validate_edit(
    playbook: Playbook, current: CaseFacts, raw: Mapping[str, Any], now: datetime
) -> EditResult:
    """Check an edit with the intake's rules; the changes it makes, or why not."""
    common = {
        "summary": raw.get("summary"),
        "category": raw.get("category"),
        "tier": raw.get("tier"),
        "requester_type": raw.get("requester_type"),
        "internal_ticket": current.internal_ticket,
    }
    checked = validate_intake(playbook, common, now)
    result = EditResult()
    for name in ("summary", "category", "tier", "requester_type"):
        if name in checked.errors:
            result.errors[name] = checked.errors[name]
    priority = str(raw.get("priority") or current.priority)
    if priority not in {p.value for p in Priority}:
        result.errors["priority"] = "Pick a priority."
    if result.errors:
        return result
    values = {name: checked.values[name] for name in ("summary", "category", "tier")}
    values["requester_type"] = checked.values["requester_type"]
    # A changed category carries its own priority unless the editor chose one themselves.
    if values["category"] != current.category and priority == current.priority:
        priority = derive_priority(playbook, values["category"]).value
    values["priority"] = priority
    for name in EDITABLE:
        before = getattr(current, name)
        if values[name] != before:
            result.changes[name] = (before, values[name])
    return result


def check_note(text: Any, *, label: str, limit: int, required: bool = True) -> tuple[str, str]:
    """(cleaned text, error): free text the PII guard and the length limit allow."""
    value = str(text or "").strip()
    if not value:
        return "", f"Say {label}." if required else ""
    if len(value) > limit:
        return "", f"Keep this under {limit} characters (it has {len(value)})."
    error = pii_error(value)
    return ("", error) if error else (value, "")


def check_callout(raw: Any, now: datetime) -> tuple[datetime | None, str]:
    """(when, error): a call-out time to ask the vendor for must lie ahead."""
    if raw in (None, ""):
        return None, "Pick the date and time to ask the vendor for."
    try:
        when = datetime.fromtimestamp(int(raw), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None, "Pick a date and time."
    if when <= now:
        return None, "That time has passed: pick one ahead."
    return when, ""


def technical_wait(
    playbook: Playbook, *, assessed_at: datetime | None, handed_off: bool
) -> str | None:
    """Why *Escalate to vendor technical* is not offered yet, or None when it may go."""
    if not handed_off:
        return "the case has not been handed to the vendor yet"
    tier = playbook.engineering_tier
    if tier is None or assessed_at is not None:
        return None
    spec = playbook.tier(tier)
    name = spec.name if spec else f"tier {tier}"
    return (
        f"our own engineers ({name}) assess a technical issue before it goes to the vendor's "
        "technical contacts: they press *Engineering assessed* first"
    )


def may_assign(assignee: str, members: frozenset[str] | None) -> str | None:
    """Why `assignee` cannot own the case (not one of its tier's responders), or None."""
    if members is not None and assignee not in members:
        return "they are not one of the case's current tier's responders"
    return None
