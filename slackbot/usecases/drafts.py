"""Asking for an email draft: the first step of every email to the receiving side.

Kept apart from the draft flow (slackbot.usecases.vendor_email) so that opening a case and the
reminders can ask for one without depending on the whole flow.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from slackbot.domain.handoff import Purpose
from slackbot.domain.playbooks import Playbook
from slackbot.domain.vocabulary import OutboxKind
from slackbot.usecases.outbox import enqueue
from storage.models import OutboxItem


def request_draft(
    session: Session,
    *,
    case_id: int,
    purpose: Purpose,
    user_id: str,
    sender: str,
    now: datetime,
    note: str | None = None,
    dedup_key: str | None = None,
) -> OutboxItem:
    """Record, in the caller's transaction, that a draft of `purpose` should be composed.

    `user_id` asked for it (recorded as the draft's creator); `sender` is who the email names
    as its sender, Cc and Reply-To: always the case's opener, the agent the vendor calls back,
    whoever asked or presses Send (the history records who did)."""
    return enqueue(
        session,
        kind=OutboxKind.EMAIL_COMPOSE,
        case_id=case_id,
        payload={
            "case_id": case_id,
            "purpose": purpose.value,
            "user": user_id,
            "sender": sender,
            "note": note,
        },
        now=now,
        dedup_key=dedup_key,
    )


def wants_handoff(playbook: Playbook) -> bool:
    """Whether cases of this playbook are handed off by email."""
    return bool(playbook.receiver.email) and playbook.receiver.kind in ("vendor", "partner")
