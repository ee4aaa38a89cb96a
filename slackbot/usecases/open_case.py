"""Open a case from a validated intake form: store it, log it, and queue its Slack thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slackbot.domain.cases import CaseStatus, derive_priority
from slackbot.domain.handoff import Purpose
from slackbot.domain.intake import playbook_values
from slackbot.domain.playbooks import Playbook
from slackbot.services import Services
from slackbot.usecases import deadlines, drafts, slack_posts
from storage.db import write_session
from storage.models import Case, CaseEvent


@dataclass(frozen=True)
class Requester:
    """Who asked, and where they typed the command (for the confirmation)."""

    user_id: str
    origin_channel: str | None


def open_case(
    services: Services,
    *,
    playbook: Playbook,
    values: dict[str, Any],
    requester: Requester,
    kick: bool = True,
) -> Case:
    """Store the case and its first event; queue root message, details reply and confirmation."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = Case(
            playbook_id=playbook.id,
            summary=values["summary"],
            status=CaseStatus.OPEN.value,
            tier=values.get("tier", playbook.tiers[0].tier),
            priority=derive_priority(playbook, values["category"]).value,
            category=values["category"],
            requester_type=values["requester_type"],
            internal_ticket=values["internal_ticket"],
            fields=playbook_values(values),
            opened_by=requester.user_id,
            opened_at=now,
            updated_at=now,
        )
        session.add(case)
        session.flush()
        session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                actor=requester.user_id,
                kind="opened",
                via="modal",
                to_status=CaseStatus.OPEN.value,
                detail={"playbook": playbook.id, "tier": case.tier, "priority": case.priority},
            )
        )
        queue_case_thread(session, case=case, requester=requester, now=now)
        if drafts.wants_handoff(playbook):
            # The hand-off email is drafted at once and shown in the thread for a check.
            drafts.request_draft(
                session,
                case_id=case.id,
                purpose=Purpose.HANDOFF,
                user_id=requester.user_id,
                sender=case.opened_by,
                now=now,
                dedup_key=f"handoff-draft:{case.id}",
            )
        deadlines.sync_deadlines(session, case, playbook, now)
        deadlines.announce_processing_window(session, case, playbook, now)
    if kick:
        services.outbox.kick()
    return case


def queue_case_thread(session, *, case: Case, requester: Requester | None, now) -> None:
    """Queue the root message, the details reply and (optionally) the agent's confirmation."""
    origin = requester.origin_channel if requester is not None else None
    slack_posts.post_root(session, case_id=case.id, now=now, origin_channel=origin)
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        render="case_details",
        dedup_key=f"case-details:{case.id}",
    )
    if requester is not None:
        slack_posts.post_ephemeral(
            session,
            user=requester.user_id,
            channel=requester.origin_channel,
            case_id=case.id,
            render="opened_confirmation",
            now=now,
            dedup_key=f"opened-confirmation:{case.id}",
        )
