"""A case's history as the vendor's side reads it: pure, over plain entries of the event log.

An escalation to the vendor's leadership or technical contacts cites it. It tells the moves,
the updates their team gave, the emails we sent and the service-level clocks *they* missed;
never internal chatter (replies in the thread, who viewed what, denied attempts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slackbot.domain.cases import CaseStatus
from slackbot.domain.clock import ensure_utc
from slackbot.domain.deadlines import DeadlineKind
from slackbot.domain.handoff import Purpose
from slackbot.domain.vocabulary import MOVE_KINDS, EventKind

#: Service-level clocks the vendor's side runs: their misses belong in an escalation's history.
VENDOR_CLOCKS = (
    DeadlineKind.VENDOR_ACK,
    DeadlineKind.PROGRESS_UPDATE,
    DeadlineKind.CONTACT_ATTEMPT,
)
#: An escalation cites the newest lines only: enough to show a pattern, short enough to read.
HISTORY_LIMIT = 20
#: What an update from their team may have told us, and how the history words it.
_UPDATE_WORDS = (("vendor_ticket", "ticket"), ("vendor_status", "status:"))


@dataclass(frozen=True)
class LoggedEvent:
    """One entry of a case's event log, as much of it as the history needs."""

    at: datetime
    kind: str
    to_status: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


def _update_line(detail: Mapping[str, Any]) -> str | None:
    said = [f"{label} {detail[key]}" for key, label in _UPDATE_WORDS if detail.get(key)]
    return f"update from your team, {', '.join(said)}" if said else None


def _reminder_line(detail: Mapping[str, Any]) -> str | None:
    if detail.get("deadline") not in VENDOR_CLOCKS:
        return None  # our own clocks (the processing window, a call-back) are not theirs to hear
    label = DeadlineKind(detail["deadline"]).label
    return f"still waiting for {label} (overdue by {detail.get('overdue', '?')})"


def history_line(event: LoggedEvent) -> str | None:
    """What one entry tells the vendor, without its time; None for what they need not read."""
    kind, detail = event.kind, event.detail
    if kind == EventKind.OPENED:
        return "case opened"
    if kind in MOVE_KINDS:
        return CaseStatus(event.to_status).label if event.to_status else None
    if kind == EventKind.UPDATE:
        return _update_line(detail)
    if kind == EventKind.EMAIL_SENT:
        return f"we sent the {Purpose(detail['purpose']).label}"
    if kind == EventKind.REMINDER:
        return _reminder_line(detail)
    return None


def history_lines(events: Iterable[LoggedEvent], *, limit: int = HISTORY_LIMIT) -> list[str]:
    """The newest `limit` lines of the case's history for the vendor, oldest first, in UTC."""
    lines: list[str] = []
    for event in events:
        line = history_line(event)
        if line is not None:
            lines.append(f"{ensure_utc(event.at):%Y-%m-%d %H:%M} UTC: {line}")
    return lines[-limit:]
