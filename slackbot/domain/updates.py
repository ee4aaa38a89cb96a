"""What the vendor or our team said: the record that reminders count as "an update"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slackbot.domain.pii import pii_error

VENDOR_TICKET_LIMIT = 64
VENDOR_STATUS_LIMIT = 120
NOTE_LIMIT = 3000


@dataclass(frozen=True)
class Update:
    """A progress update: the vendor's ticket number and status, and a note (each optional)."""

    vendor_ticket: str | None
    vendor_status: str | None
    note: str | None

    def as_detail(self) -> dict[str, Any]:
        """The update as an event's detail (empty parts left out)."""
        return {key: value for key, value in vars(self).items() if value}


def _clean(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def validate_update(values: dict[str, Any]) -> tuple[Update | None, dict[str, str]]:
    """Turn the Add update form's values into an Update, or errors keyed by field id."""
    update = Update(
        vendor_ticket=_clean(values.get("vendor_ticket")),
        vendor_status=_clean(values.get("vendor_status")),
        note=_clean(values.get("note")),
    )
    errors: dict[str, str] = {}
    limits = {
        "vendor_ticket": VENDOR_TICKET_LIMIT,
        "vendor_status": VENDOR_STATUS_LIMIT,
        "note": NOTE_LIMIT,
    }
    for field_id, limit in limits.items():
        value = getattr(update, field_id)
        if value and len(value) > limit:
            errors[field_id] = f"Keep it to {limit} characters (this is {len(value)})."
    for field_id in ("vendor_status", "note"):
        if field_id not in errors and (error := pii_error(getattr(update, field_id))):
            errors[field_id] = error
    if update.vendor_ticket and any(ch.isspace() for ch in update.vendor_ticket):
        errors["vendor_ticket"] = "A ticket number has no spaces, e.g. 12345 or ABC-123."
    if not (update.vendor_ticket or update.vendor_status or update.note):
        errors["note"] = "Say what changed: a vendor ticket number, their status or a note."
    return (None, errors) if errors else (update, {})
