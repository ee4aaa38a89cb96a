"""A playbook whose clocks run in seconds, and the steps tests take on its cases."""

from __future__ import annotations

from slackbot.domain.cases import CaseStatus
from slackbot.usecases import deadlines
from slackbot.usecases.open_case import Requester, open_case
from storage.db import write_session
from storage.models import Case, CaseEvent

FAST = """
[[playbook]]
id = "fast"
title = "Fast vendor"
channel = "#fast"
lead_group = "S0LEADS0009"

[playbook.receiver]
name = "Fast vendor support"
email = "support@vendor.example.com"

[[playbook.tiers]]
tier = 1
name = "Tier 1"
responders = "S0TIER10009"

[[playbook.leadership_contacts]]
name = "Vendor support lead"
title = "Lead"
email = "lead@vendor.example.com"

[playbook.hours.ours]
always = true

[playbook.sla]
vendor_ack = "5s"
progress_update = "10s"
contact_attempts = ["0s", "10s", "20s"]
unreachable_close = "30s"
reminder_repeat = "10s"
"""


def open_fast_case(services, *, owner=None, user="U0AGENT01"):
    """Open a case on the fast playbook; returns its id."""
    playbook = services.playbooks.get("fast")
    case = open_case(
        services,
        playbook=playbook,
        values={
            "summary": "Cannot pass checks",
            "category": "access",
            "requester_type": "End user",
            "internal_ticket": "T-1",
        },
        requester=Requester(user, None),
    )
    return case.id


def hand_off(services, case_id, *, status=CaseStatus.WITH_VENDOR, ticket="V-1"):
    """What the hand-off flow does: move the case to the vendor and sync its clocks."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = session.get(Case, case_id)
        before = case.status
        case.status = status.value
        case.handed_off_at = case.handed_off_at or now
        case.vendor_ticket = ticket
        case.updated_at = now
        session.add(case)
        session.add(
            CaseEvent(
                case_id=case_id,
                at=now,
                actor="U0AGENT01",
                kind="status_changed",
                from_status=before,
                to_status=status.value,
            )
        )
        deadlines.sync_deadlines(session, case, services.playbooks.get("fast"), now)
