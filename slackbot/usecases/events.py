"""The case's event log: one way to write an entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from slackbot.domain.status_machine import Via
from slackbot.domain.vocabulary import EventKind
from storage.models import CaseEvent


def record_event(
    session: Session,
    *,
    case_id: int,
    kind: EventKind,
    at: datetime,
    actor: str,
    via: Via | str = "",
    from_status: str | None = None,
    to_status: str | None = None,
    **detail: Any,
) -> CaseEvent:
    """Append an entry to the case's log in the caller's transaction (actor cut to 32)."""
    event = CaseEvent(
        case_id=case_id,
        at=at,
        actor=actor[:32],
        kind=EventKind(kind).value,
        via=str(via.value if isinstance(via, Via) else via),
        from_status=from_status,
        to_status=to_status,
        detail=detail,
    )
    session.add(event)
    return event
