"""Queries over the tables. Repositories never commit: the use case owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_
from sqlmodel import Session, select

from slackbot.domain.cases import CaseStatus
from storage.models import Case, CaseEvent, CaseMessage

CLOSED = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED_UNREACHABLE.value)


def get_case(session: Session, *, case_id: int, lock: bool = False) -> Case | None:
    """A case by id; `lock` takes a row lock on PostgreSQL (SQLite is already serialised)."""
    statement = select(Case).where(Case.id == case_id)
    if lock:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def case_for_message(session: Session, *, channel_id: str, ts: str) -> Case | None:
    """The case a Slack message (root or any message of its thread) belongs to."""
    statement = (
        select(Case)
        .join(CaseMessage, CaseMessage.case_id == Case.id)
        .where(CaseMessage.channel_id == channel_id, CaseMessage.ts == ts)
    )
    return session.exec(statement).first()


def open_cases(session: Session, *, user_id: str | None = None, limit: int = 50) -> Sequence[Case]:
    """Open cases, oldest first; only those `user_id` opened or owns when given."""
    statement = select(Case).where(Case.status.not_in(CLOSED))
    if user_id is not None:
        statement = statement.where(or_(Case.opened_by == user_id, Case.owner_id == user_id))
    return session.exec(statement.order_by(Case.opened_at, Case.id).limit(limit)).all()


def case_events(session: Session, *, case_id: int) -> Sequence[CaseEvent]:
    """A case's event log in order."""
    return session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    ).all()


def record_message(
    session: Session, *, case_id: int, channel_id: str, ts: str, kind: str, now
) -> None:
    """Remember that a Slack message belongs to a case (idempotent)."""
    exists = session.exec(
        select(CaseMessage.id).where(CaseMessage.channel_id == channel_id, CaseMessage.ts == ts)
    ).first()
    if exists is None:
        session.add(
            CaseMessage(case_id=case_id, channel_id=channel_id, ts=ts, kind=kind, created_at=now)
        )
