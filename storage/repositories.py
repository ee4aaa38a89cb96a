"""Queries over the tables. Repositories never commit: the use case owns the transaction."""

from __future__ import annotations

import importlib
from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import datetime

from sqlalchemy import case as when
from sqlalchemy import func, or_, update
from sqlmodel import Session, select

from slackbot.domain.cases import CaseStatus, Priority
from slackbot.domain.vocabulary import SENDABLE, DeadlineState, DraftState
from storage.models import (
    Case,
    CaseEvent,
    CaseListing,
    CaseMessage,
    Deadline,
    EmailDraft,
    OutboxItem,
)

CLOSED = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED_UNREACHABLE.value)


def postgresql_insert(table):
    """PostgreSQL's `INSERT … ON CONFLICT`: its dialect is imported when first used, not at
    start-up (importing it loads the modules of all four of its drivers: ~25 ms that a bot on
    SQLite never needs; one on PostgreSQL has it loaded by its engine anyway)."""
    return importlib.import_module("sqlalchemy.dialects.postgresql").insert(table)


def sqlite_insert(table):
    """SQLite's `INSERT … ON CONFLICT`, its dialect imported when first used (see above)."""
    return importlib.import_module("sqlalchemy.dialects.sqlite").insert(table)


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
    """Open cases, blockers first, then oldest first; only those `user_id` opened or owns
    when given."""
    statement = select(Case).where(Case.status.not_in(CLOSED))
    if user_id is not None:
        statement = statement.where(or_(Case.opened_by == user_id, Case.owner_id == user_id))
    return session.exec(
        statement.order_by(blockers_first(), Case.opened_at, Case.id).limit(limit)
    ).all()


#: `Case`'s columns that a `CaseListing` holds, in its order.
LISTING_COLUMNS = tuple(getattr(Case, field.name) for field in fields(CaseListing))


def listings(session: Session, statement) -> list[CaseListing]:
    """The rows of a statement selecting `LISTING_COLUMNS` (and maybe more after them: only the
    listing's are taken) as `CaseListing`s."""
    width = len(LISTING_COLUMNS)
    return [CaseListing(*row[:width]) for row in session.execute(statement)]


def open_case_listings(
    session: Session, *, user_id: str | None = None, limit: int = 50
) -> list[CaseListing]:
    """`open_cases`, as listings: blockers first, then oldest; only those `user_id` opened or
    owns when given."""
    statement = select(*LISTING_COLUMNS).where(Case.status.not_in(CLOSED))
    if user_id is not None:
        statement = statement.where(or_(Case.opened_by == user_id, Case.owner_id == user_id))
    return listings(
        session, statement.order_by(blockers_first(), Case.opened_at, Case.id).limit(limit)
    )


def overdue_listings(
    session: Session, now: datetime, *, limit: int = 50
) -> list[tuple[CaseListing, str, datetime, int]]:
    """Expired, uncleared clocks of open cases as (case listing, kind, expires_at, misses):
    blockers first, then the longest expired."""
    statement = (
        select(*LISTING_COLUMNS, Deadline.kind, Deadline.expires_at, Deadline.misses)
        .join(Deadline, Deadline.case_id == Case.id)
        .where(Deadline.state != DeadlineState.CLEARED, Deadline.expires_at <= now)
        .where(Case.status.not_in(CLOSED))
        .order_by(blockers_first(), Deadline.expires_at, Deadline.id)
        .limit(limit)
    )
    width = len(LISTING_COLUMNS)
    return [(CaseListing(*row[:width]), *row[width:]) for row in session.execute(statement)]


def case_events(session: Session, *, case_id: int) -> Sequence[CaseEvent]:
    """A case's event log in order."""
    return session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    ).all()


def record_message(
    session: Session, *, case_id: int, channel_id: str, ts: str, kind: str, now
) -> None:
    """Remember that a Slack message belongs to a case (idempotent): one INSERT … ON CONFLICT
    DO NOTHING on SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        dialect_insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        session.execute(
            dialect_insert(CaseMessage)
            .values(case_id=case_id, channel_id=channel_id, ts=ts, kind=kind, created_at=now)
            .on_conflict_do_nothing(index_elements=["channel_id", "ts"])
        )
        return
    exists = session.exec(
        select(CaseMessage.id).where(CaseMessage.channel_id == channel_id, CaseMessage.ts == ts)
    ).first()
    if exists is None:
        session.add(
            CaseMessage(case_id=case_id, channel_id=channel_id, ts=ts, kind=kind, created_at=now)
        )


def get_draft(session: Session, *, draft_id: int, lock: bool = False) -> EmailDraft | None:
    """An email draft by id; `lock` takes a row lock on PostgreSQL, like `get_case`."""
    statement = select(EmailDraft).where(EmailDraft.id == draft_id)
    if lock:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def sent_draft(
    session: Session, *, case_id: int, purposes: Collection[str], newest: bool
) -> EmailDraft | None:
    """The case's first (or newest) sent draft of one of `purposes`."""
    order = EmailDraft.id.desc() if newest else EmailDraft.id
    return session.exec(
        select(EmailDraft)
        .where(
            EmailDraft.case_id == case_id,
            EmailDraft.state == DraftState.SENT.value,
            EmailDraft.purpose.in_([str(purpose) for purpose in purposes]),
        )
        .order_by(order)
    ).first()


def supersede_drafts(session: Session, *, case_id: int, purpose: str) -> Sequence[int]:
    """Mark the case's sendable drafts of `purpose` superseded; returns their ids."""
    replaced = session.exec(
        select(EmailDraft.id).where(
            EmailDraft.case_id == case_id,
            EmailDraft.purpose == purpose,
            EmailDraft.state.in_([state.value for state in SENDABLE]),
        )
    ).all()
    if replaced:
        session.execute(
            update(EmailDraft)
            .where(EmailDraft.id.in_(replaced))
            .values(state=DraftState.SUPERSEDED.value)
        )
    return replaced


def outbox_item_by_key(session: Session, *, dedup_key: str) -> OutboxItem | None:
    """The outbox item recorded under `dedup_key`, if any."""
    return session.exec(select(OutboxItem).where(OutboxItem.dedup_key == dedup_key)).first()


def blockers_first():
    """An ORDER BY term that puts high-priority cases (blockers, worked first) first."""
    return when((Case.priority == Priority.HIGH.value, 0), else_=1)


def case_for_source(session: Session, *, channel_id: str, ts: str) -> Case | None:
    """The case made from this Slack message, if one was."""
    return session.exec(
        select(Case).where(Case.source_channel == channel_id, Case.source_ts == ts)
    ).first()


def find_cases(
    session: Session, *, pattern: str, case_id: int | None, limit: int = 200
) -> Sequence[Case]:
    """Cases whose id is `case_id` or whose summary, our ticket or the vendor's ticket number
    contains `pattern` (a LIKE pattern, lower-case, `\\` escaping), newest first. Contact
    details (the intake fields) are never searched."""
    terms = [
        func.lower(Case.summary).like(pattern, escape="\\"),
        func.lower(Case.internal_ticket).like(pattern, escape="\\"),
        func.lower(Case.vendor_ticket).like(pattern, escape="\\"),
    ]
    if case_id is not None:
        terms.append(Case.id == case_id)
    statement = select(Case).where(or_(*terms)).order_by(Case.opened_at.desc(), Case.id.desc())
    return session.exec(statement.limit(limit)).all()


def closed_between(
    session: Session, *, start: datetime, end: datetime, limit: int = 200
) -> Sequence[Case]:
    """Cases closed (and still closed) in [start, end], most recently closed first."""
    statement = (
        select(Case)
        .where(Case.status.in_(CLOSED), Case.closed_at >= start, Case.closed_at <= end)
        .order_by(Case.closed_at.desc(), Case.id.desc())
    )
    return session.exec(statement.limit(limit)).all()
