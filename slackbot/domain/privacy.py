"""What in a case is a contact detail or free text, and how to take it out (export, retention).

Pure. A case's contact values are those of the intake fields its playbook marks `contact = true`
(`handoff.private_values`); free text is whatever people typed: the summary, descriptions, thread
replies, notes. Stored values no playbook field describes any more are treated as possibly
contact details: they might have been one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from slackbot.domain.handoff import REDACTED, redact
from slackbot.domain.playbooks import FieldKind, Playbook

#: Event detail keys that hold what people typed or addressed: replies, notes, the vendor's
#: wording, reasons quoted from mail servers, file names, email recipients.
FREE_TEXT_KEYS = frozenset(
    # "resolution" is the closing note and "comment" the opener's rating comment (issue 13);
    # the flat "action_needed" and "score" next to them stay: the reports count them.
    {"text", "note", "vendor_status", "reason", "files", "to", "cc", "resolution", "comment"}
)
#: Field kinds whose values are categories or instants rather than words people typed.
ANONYMOUS_KINDS = frozenset({FieldKind.CHOICE, FieldKind.DATETIME, FieldKind.TIMEZONE})


def redact_all(value: Any, secrets: Sequence[str]) -> Any:
    """`value` with every secret replaced by ••• in every string it holds, however nested."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [redact_all(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: redact_all(item, secrets) for key, item in value.items()}
    return value


def shareable_fields(playbook: Playbook | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Stored intake values without contact details (nor values no playbook field describes)."""
    kept = {}
    for field_id, value in fields.items():
        spec = playbook.field(field_id) if playbook else None
        # Flags such as {"emergency": true} are the bot's own and can hold no one's details.
        if (spec is not None and not spec.contact) or isinstance(value, bool):
            kept[field_id] = value
    return kept


def anonymous_fields(playbook: Playbook | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Only the values that describe no one: choices, instants and time zones, and flags."""
    return {
        field_id: value
        for field_id, value in shareable_fields(playbook, fields).items()
        if isinstance(value, bool)
        or (playbook is not None and playbook.field(field_id).kind in ANONYMOUS_KINDS)
    }


def _blank(value: Any) -> Any:
    return [] if isinstance(value, list) else {} if isinstance(value, dict) else ""


def blank_free_text(detail: Mapping[str, Any], secrets: Sequence[str]) -> dict[str, Any]:
    """An event's detail with free text blanked and contact values redacted from the rest.

    Structure is kept (actions, tiers, deadline kinds, misses, ids): it is what reports count
    and what an undo reads back.
    """
    kept = {key: _blank(value) if key in FREE_TEXT_KEYS else value for key, value in detail.items()}
    return redact_all(kept, secrets)


#: Anything shaped like an email address, inside or outside angle brackets.
_ADDRESS = re.compile(r"[^\s<>@,;:\"']+@[^\s<>@,;:\"']+")


def scrub_contacts(text: str, secrets: Sequence[str] = ()) -> str:
    """`text` (a mail server's reason, say) fit for a thread note: the case's contact values
    and every email address replaced by •••."""
    return _ADDRESS.sub(REDACTED, redact(text, secrets))
