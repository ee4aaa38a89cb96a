"""Builds cases with an event log like the use cases write it, for report, export and purge tests.

Placeholder people data only (example.com addresses, 555 numbers).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.models import Case, CaseEvent, EmailDraft, Page

CLOSED = ("resolved", "closed_unreachable")

#: Contact values of `IDV_CONTACTS`, for "is it anywhere?" checks.
IDV_CONTACTS = {
    "agent_phone": "+1 555 555 0101",
    "end_user_first_name": "Robin",
    "end_user_last_name": "Placeholder",
    "end_user_email": "robin.placeholder@example.com",
    "end_user_phone": "555-555-0199",
    "alternate_contact": "Office manager Casey, casey.office@example.com",
}
IDV_OTHER = {
    "agent_timezone": "America/Los_Angeles",
    "agent_availability": "Weekdays 9:00-15:00",
    "preferred_contact": "Email",
    "preferred_time": "Mornings",
    "end_user_timezone": "America/New_York",
    "description": "Verification fails at the document step; tried twice.",
    "occurred_at": "2026-11-17T17:20:00+00:00",
    "screenshots": [{"id": "F1", "name": "error.png", "mimetype": "image/png", "size": 10}],
}


class Seeder:
    """Writes cases and their events in one session; `move` keeps status and closed_at in step."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._pages: Counter[int] = Counter()

    def case(
        self,
        opened_at: datetime,
        *,
        playbook: str = "idv",
        tier: int = 1,
        category: str = "access",
        requester_type: str = "Clinician",
        priority: str = "high",
        summary: str = "Cannot pass verification",
        fields: dict[str, Any] | None = None,
    ) -> Case:
        """A new open case and its `opened` event."""
        case = Case(
            playbook_id=playbook,
            summary=summary,
            status="open",
            tier=tier,
            priority=priority,
            category=category,
            requester_type=requester_type,
            internal_ticket="XQ123",
            fields=fields or {},
            opened_by="U0AGENT",
            opened_at=opened_at,
            updated_at=opened_at,
        )
        self.session.add(case)
        self.session.flush()
        self.event(case, opened_at, "opened", to_status="open", detail={"playbook": playbook})
        return case

    def event(self, case: Case, at: datetime, kind: str, **values: Any) -> CaseEvent:
        """Any event."""
        event = CaseEvent(case_id=case.id, at=at, actor=values.pop("actor", "U0LEAD"), kind=kind)
        for name, value in values.items():
            setattr(event, name, value)
        self.session.add(event)
        self.session.flush()
        return event

    def move(self, case: Case, to_status: str, at: datetime, *, kind="status_changed", **detail):
        """A status change (or an undo), applied to the case as the use cases do."""
        self.event(case, at, kind, from_status=case.status, to_status=to_status, detail=detail)
        if to_status == "with_vendor" and case.handed_off_at is None:
            case.handed_off_at = at
        case.status = to_status
        case.closed_at = at if to_status in CLOSED else None
        case.updated_at = at
        self.session.add(case)
        self.session.flush()

    def update(self, case: Case, at: datetime, **detail) -> None:
        """A recorded update (what the vendor said)."""
        self.event(case, at, "update", detail=detail)
        case.last_update_at = at
        self.session.add(case)

    def reminder(self, case: Case, at: datetime, deadline: str, miss: int = 1) -> None:
        """A reminder the sweep posted for a missed clock."""
        self.event(
            case, at, "reminder", actor="scheduler", detail={"deadline": deadline, "miss": miss}
        )

    def page(self, case: Case, at: datetime, **text: str) -> Page:
        """A page of on-call."""
        self._pages[case.id] += 1
        sequence = self._pages[case.id]
        page = Page(
            case_id=case.id,
            playbook_id=case.playbook_id,
            dedup_key=f"ESC-{case.id}/page-{sequence}",
            sequence=sequence,
            paged_by="U0AGENT",
            paged_at=at,
            system=text.get("system", "Portal"),
            what_is_down=text.get("what_is_down", "Sign-in"),
            since=text.get("since", "09:00"),
            impact=text.get("impact", "Nobody can sign in"),
            response_due_at=at,
        )
        self.session.add(page)
        self.session.flush()
        return page

    def draft(self, case: Case, at: datetime, *, body: str, to: list[str], **values) -> EmailDraft:
        """An email draft."""
        draft = EmailDraft(
            case_id=case.id,
            purpose="handoff",
            to=to,
            subject=values.pop("subject", "AcmeEHR; XQ123"),
            body=body,
            created_by="U0AGENT",
            created_at=at,
            **values,
        )
        self.session.add(draft)
        self.session.flush()
        return draft
