"""General inquiries (issue 13): a question answered on first contact is logged, not escalated:
one row, no case, no thread, no ticket, counted in the reports by playbook and category."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slackbot.domain.playbooks import Playbook
from storage.db import write_session
from storage.models import Inquiry

if TYPE_CHECKING:
    from slackbot.services import Services


def log_inquiry(
    services: Services, *, playbook: Playbook, values: dict[str, str], user_id: str
) -> Inquiry:
    """Store a checked inquiry form (`slackbot.domain.intake_sources.validate_inquiry`)."""
    with write_session(services.engine) as session:
        inquiry = Inquiry(
            playbook_id=playbook.id,
            category=values["category"],
            requester_type=values["requester_type"],
            topic=values["topic"],
            answer=values.get("answer"),
            logged_by=user_id,
            logged_at=services.clock.now(),
        )
        session.add(inquiry)
        session.flush()
        session.expunge(inquiry)
    return inquiry
