"""Intake validation: what an agent typed into `/escalate`, checked against the playbook.

The Slack edge turns the modal's state into plain values (`str`, `list[str]`, an epoch second for
date-times, a list of file descriptors) keyed by field id; `validate_intake` returns the cleaned
values or, per field, the one error to show under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slackbot.domain.pii import pii_error
from slackbot.domain.playbooks import COMMON_FIELD_IDS, FieldKind, IntakeField, Playbook, Section

EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_PHONE_CHARS = re.compile(r"^[0-9+().\-\s/,;x#ext]*$", re.I)
_TICKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._#/-]{0,63}$")
#: A timestamp a few minutes ahead is clock skew between the agent's machine and ours.
FUTURE_TOLERANCE = timedelta(minutes=5)
SUMMARY_LIMIT = 150

ESCALATION_DEFINITION = (
    "An escalation is something that *blocks the user from proceeding* that you could not fix "
    "yourself. General questions are answered, not escalated."
)


@dataclass
class IntakeResult:
    """Cleaned values by field id, and errors by field id (empty when valid)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every field passed."""
        return not self.errors


def is_email(value: str) -> bool:
    """Whether `value` is a plausible single email address."""
    return len(value) <= 254 and bool(EMAIL.match(value))


def phone_error(value: str) -> str | None:
    """An error for a malformed phone number (or list of numbers), else None."""
    if not _PHONE_CHARS.match(value):
        return "Use digits and + ( ) - only, e.g. +1 555 555 0100"
    for number in re.split(r"[,;/]", value):
        number = re.split(r"(?i)\s*(?:x|ext\.?|#)\s*\d*$", number.strip())[0]
        digits = re.sub(r"\D", "", number)
        if number and not 7 <= len(digits) <= 15:
            return f"“{number.strip()}” is not a phone number: give 7 to 15 digits, e.g. +1 555 555 0100"
    return None


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    return str(raw).strip()


def _required(spec: IntakeField) -> str | None:
    return f"“{spec.label}” is required." if spec.required else None


def _check_people(spec: IntakeField, raw: Any) -> tuple[Any, str | None]:
    users = [str(user) for user in (raw or []) if user]
    if spec.required and not users:
        return users, f"Pick at least one person for “{spec.label}”."
    return users, None


def _check_files(spec: IntakeField, raw: Any) -> tuple[Any, str | None]:
    files = [dict(item) for item in (raw or []) if isinstance(item, dict) and item.get("id")]
    if spec.required and not files:
        return files, f"Attach at least one file for “{spec.label}”."
    return files, None


def _check_datetime(spec: IntakeField, raw: Any, now: datetime) -> tuple[Any, str | None]:
    if raw in (None, ""):
        return None, _required(spec)
    try:
        when = datetime.fromtimestamp(int(raw), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None, "Pick a date and time."
    if when > now + FUTURE_TOLERANCE:
        return None, "That time is in the future: give when the problem actually happened."
    return when.isoformat(), None


def _kind_error(spec: IntakeField, value: str) -> str | None:
    """What is wrong with a typed value for its kind (an email, a phone number, …), if anything."""
    kind = spec.kind
    if kind is FieldKind.EMAIL and not is_email(value):
        return f"“{value[:60]}” is not an email address, e.g. name@example.com"
    if kind is FieldKind.PHONE:
        return phone_error(value)
    if kind is FieldKind.TIMEZONE:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return "Pick a time zone from the list."
    if kind is FieldKind.CHOICE and value not in spec.choices:
        return "Pick one of the options."
    return None


def _check_text(spec: IntakeField, raw: Any) -> tuple[Any, str | None]:
    value = _text(raw)
    if not value:
        return None, _required(spec)
    if len(value) > spec.limit:
        return None, f"Keep this under {spec.limit} characters (it has {len(value)})."
    error = _kind_error(spec, value) or (pii_error(value) if spec.checks_pii else None)
    if error:
        return None, error
    return value, None


def _check_field(spec: IntakeField, raw: Any, now: datetime) -> tuple[Any, str | None]:
    """Clean one playbook field; return (value, error)."""
    if spec.kind is FieldKind.PEOPLE:
        return _check_people(spec, raw)
    if spec.kind is FieldKind.FILE:
        return _check_files(spec, raw)
    if spec.kind is FieldKind.DATETIME:
        return _check_datetime(spec, raw, now)
    return _check_text(spec, raw)


def validate_intake(playbook: Playbook, raw: dict[str, Any], now: datetime) -> IntakeResult:
    """Check the common fields and every playbook field; collect one error per field."""
    result = IntakeResult()

    summary = _text(raw.get("summary"))
    if not summary:
        result.errors["summary"] = "Give a one-line summary of what is blocked."
    elif len(summary) > SUMMARY_LIMIT:
        result.errors["summary"] = f"Keep the summary under {SUMMARY_LIMIT} characters."
    elif error := pii_error(summary):
        result.errors["summary"] = error
    else:
        result.values["summary"] = summary

    ticket = _text(raw.get("internal_ticket"))
    if not ticket:
        result.errors["internal_ticket"] = "Give our ticket number (the help desk's ticket id)."
    elif not _TICKET.match(ticket):
        result.errors["internal_ticket"] = (
            "Use letters, digits and . _ # / - only (up to 64), e.g. XQ123."
        )
    else:
        result.values["internal_ticket"] = ticket

    category = _text(raw.get("category"))
    if playbook.category(category) is None:
        result.errors["category"] = "Pick a category."
    else:
        result.values["category"] = category

    tier_raw = _text(raw.get("tier")) or "1"
    if not tier_raw.isdigit() or playbook.tier(int(tier_raw)) is None:
        result.errors["tier"] = "Pick the tier that should work this case."
    else:
        result.values["tier"] = int(tier_raw)

    requester = _text(raw.get("requester_type"))
    if requester not in playbook.requester_types:
        result.errors["requester_type"] = "Pick who is affected."
    else:
        result.values["requester_type"] = requester

    for spec in playbook.fields:
        value, error = _check_field(spec, raw.get(spec.id), now)
        if error:
            result.errors[spec.id] = error
        elif value not in (None, "", []):
            result.values[spec.id] = value
    return result


def playbook_values(values: dict[str, Any]) -> dict[str, Any]:
    """The playbook-specific part of cleaned intake values (common fields removed)."""
    return {key: value for key, value in values.items() if key not in COMMON_FIELD_IDS}


def validate_details(playbook: Playbook, raw: dict[str, Any], now: datetime) -> IntakeResult:
    """Check edited hand-off details: our ticket number and every field the email carries.

    Files are optional here: Slack can't prefill a file input, so an empty one keeps the files
    already attached. Cleared optional fields come back as None (the email drops them).
    """
    result = IntakeResult()
    ticket = _text(raw.get("internal_ticket"))
    if not _TICKET.match(ticket):
        result.errors["internal_ticket"] = (
            "Give our ticket number: letters, digits and . _ # / - only (up to 64), e.g. XQ123."
        )
    else:
        result.values["internal_ticket"] = ticket
    for spec in playbook.fields:
        if spec.email_section is Section.INTERNAL:
            continue
        if spec.kind is FieldKind.FILE:
            spec = spec.model_copy(update={"required": False})
        value, error = _check_field(spec, raw.get(spec.id), now)
        if error:
            result.errors[spec.id] = error
        else:
            result.values[spec.id] = value if value not in ("", None) else None
    return result
