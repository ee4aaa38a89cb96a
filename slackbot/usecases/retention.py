"""Retention: contact details and free text of cases closed more than RETENTION_DAYS ago go.

What reports count stays: status, timestamps, playbook, tier, category, requester type,
priority, the event log's structure (kinds, statuses, actions, clocks) and the pages' times. What
goes: the summary, the intake values that describe someone or were typed freely (choices,
instants and time zones stay), the vendor's status wording, thread replies and notes in the
event log, email drafts' recipients, subjects and bodies, the pages' descriptions, and the
payloads of the case's finished outbox items (they carry the texts that were posted or sent).
General inquiries logged that long ago lose what was asked and answered (playbook, category and
who asked stay, for the counts).

Each purge is logged as a `purged` case event. Idempotent: a case is purged once per closing (a
reopened and closed-again case is purged again once its new closing is old enough). Runs in
batches of `BATCH` cases, one transaction each. A case with outbox work still pending is left
for the next run, so nothing about to be delivered is pulled from under the outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from slackbot.domain.cases import CaseStatus
from slackbot.domain.clock import ensure_utc
from slackbot.domain.handoff import private_values
from slackbot.domain.playbooks import Playbook, Playbooks
from slackbot.domain.privacy import anonymous_fields, blank_free_text, redact_all
from storage.db import write_session
from storage.models import Case, CaseEvent, EmailDraft, Inquiry, OutboxItem, Page
from storage.repositories import get_case

BATCH = 100
PURGED = "purged"
ACTOR = "retention"
CLOSED = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED_UNREACHABLE.value)
#: Outbox states after which an item is never performed again.
FINISHED = ("done", "failed", "cancelled")


def _due(session: Session, cutoff: datetime, limit: int) -> list[int]:
    """Cases closed before `cutoff`, not purged since that closing, with no outbox work left."""
    purged_since_closing = exists().where(
        CaseEvent.case_id == Case.id, CaseEvent.kind == PURGED, CaseEvent.at >= Case.closed_at
    )
    busy = exists().where(OutboxItem.case_id == Case.id, OutboxItem.state.not_in(FINISHED))
    statement = (
        select(Case.id)
        .where(Case.status.in_(CLOSED), Case.closed_at < cutoff, ~purged_since_closing, ~busy)
        .order_by(Case.id)
        .limit(limit)
    )
    return list(session.exec(statement))


def _purge_events(session: Session, case_id: int, secrets: tuple[str, ...]) -> None:
    for event in session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)):
        event.detail = blank_free_text(event.detail or {}, secrets)
        session.add(event)


def _purge_drafts(session: Session, case_id: int) -> None:
    session.execute(
        update(EmailDraft)
        .where(EmailDraft.case_id == case_id)
        .values(
            to=[],
            cc=[],
            reply_to=None,
            subject="",
            body="",
            sender={},
            note=None,
            attachments=[],
            missing=[],
            error=None,
        )
    )


def _purge_pages_and_outbox(session: Session, case_id: int) -> None:
    session.execute(
        update(Page)
        .where(Page.case_id == case_id)
        .values(
            system="", what_is_down="", since="", impact="", acknowledged_by=None, last_error=None
        )
    )
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.case_id == case_id, OutboxItem.state.in_(FINISHED))
        .values(payload={}, result={}, last_error=None)
    )


def purge_case(
    session: Session, case: Case, playbook: Playbook | None, *, now: datetime, days: int
) -> None:
    """Blank one closed case's contact details and free text, and log it (caller's transaction)."""
    fields = case.fields or {}
    # Contact values may have been typed into replies and notes too: redact what is kept.
    secrets = private_values(playbook, fields) if playbook else ()
    case.summary = ""
    case.vendor_status = None
    case.resolution = None  # the note's words; action_needed and the rating stay for reports
    case.rating_comment = None
    case.fields = redact_all(anonymous_fields(playbook, fields), secrets)
    case.updated_at = now
    case.version += 1  # writers compare-and-set the version: none overwrites this with old text
    session.add(case)
    _purge_events(session, case.id, secrets)
    _purge_drafts(session, case.id)
    _purge_pages_and_outbox(session, case.id)
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor=ACTOR,
            kind=PURGED,
            via="scheduler",
            detail={"retention_days": days},
        )
    )


def _still_due(case: Case | None, cutoff: datetime) -> bool:
    """Re-checked under the row lock: the case may have been reopened since it was picked."""
    return (
        case is not None
        and case.status in CLOSED
        and case.closed_at is not None
        and ensure_utc(case.closed_at) < cutoff
    )


def purge_expired(engine: Engine, playbooks: Playbooks, now: datetime, days: int) -> int:
    """Purge every case closed more than `days` days before `now`; return how many were purged."""
    cutoff = now - timedelta(days=days)
    with write_session(engine) as session:
        # General inquiries keep what they were about (counted) and lose what was said.
        session.execute(
            update(Inquiry)
            .where(Inquiry.logged_at < cutoff, Inquiry.topic != "")
            .values(topic="", answer=None)
        )
    purged, batch = 0, BATCH
    while batch == BATCH:
        with write_session(engine) as session:
            ids = _due(session, cutoff, BATCH)
            batch = len(ids)
            for case_id in ids:
                case = get_case(session, case_id=case_id, lock=True)
                if _still_due(case, cutoff):
                    purge_case(session, case, playbooks.get(case.playbook_id), now=now, days=days)
                    purged += 1
    return purged
