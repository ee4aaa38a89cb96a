"""Queries for the App Home tab: one person's open cases a page at a time, and what is overdue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from slackbot.domain.cases import CaseStatus
from storage.models import Case, CaseListing, Deadline
from storage.repositories import LISTING_COLUMNS, blockers_first, listings

CLOSED = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED_UNREACHABLE.value)
#: A person's case waits on them (not on the vendor or another team) in these statuses.
ON_US = (
    CaseStatus.OPEN.value,
    CaseStatus.ACKNOWLEDGED.value,
    CaseStatus.RETURNED.value,
    CaseStatus.REOPENED.value,
)


def _theirs(user_id: str):
    return or_(Case.opened_by == user_id, Case.owner_id == user_id)


def count_open_cases(session: Session, *, user_id: str) -> int:
    """How many open cases `user_id` opened or owns."""
    statement = select(func.count()).select_from(Case)
    return session.exec(statement.where(Case.status.not_in(CLOSED), _theirs(user_id))).one()


def open_cases_page(
    session: Session, *, user_id: str, offset: int, limit: int
) -> list[CaseListing]:
    """One page of the open cases `user_id` opened or owns, blockers first, then oldest."""
    statement = (
        select(*LISTING_COLUMNS)
        .where(Case.status.not_in(CLOSED), _theirs(user_id))
        .order_by(blockers_first(), Case.opened_at, Case.id)
        .offset(offset)
        .limit(limit)
    )
    return listings(session, statement)


def cases_waiting_on(session: Session, *, user_id: str, limit: int) -> list[CaseListing]:
    """Open cases `user_id` owns whose next step is theirs, blockers first, then oldest."""
    statement = (
        select(*LISTING_COLUMNS)
        .where(Case.owner_id == user_id, Case.status.in_(ON_US))
        .order_by(blockers_first(), Case.updated_at, Case.id)
        .limit(limit)
    )
    return listings(session, statement)


def expired_deadlines(
    session: Session, *, case_ids: Sequence[int], now: datetime
) -> Sequence[Deadline]:
    """The clocks of these cases that have run out and are not cleared, oldest first."""
    if not case_ids:
        return []
    statement = (
        select(Deadline)
        .where(Deadline.case_id.in_(case_ids), Deadline.state != "cleared")
        .where(Deadline.expires_at <= now)
        .order_by(Deadline.expires_at)
    )
    return session.exec(statement).all()
