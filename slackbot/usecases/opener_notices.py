"""Keeping the opener told (issue 13): a DM when their case moves, gets an update or closes,
unless they turned it off with `/escalate notify off`.

A case hook: it runs in every changing transaction (`slackbot.usecases.hooks`), reads the
case's events it has not looked at yet (a mark per case, `OpenerNotice`), and queues one DM per
event through the outbox, keyed by the event's id, so a replay never sends one twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from slackbot.domain.intake_sources import NOTICE_KINDS, opener_notice
from slackbot.render.intake_sources import build_opener_dm
from slackbot.usecases import slack_posts
from storage.db import write_session
from storage.models import Case, CaseEvent, NotifyPreference, OpenerNotice
from storage.repositories import postgresql_insert, sqlite_insert


def _new_events(session: Session, case: Case, now: datetime) -> tuple[list[CaseEvent], bool]:
    """The case's events the opener's DMs have not looked at yet (marked as looked at now),
    and whether the opener wants DMs: one SELECT, and one upsert of the mark when there are any.

    A case first seen here (opened before this feature, or just now) starts with the events
    of this change, which carry its `now`; the case's row lock keeps the mark in step."""
    mark = (
        select(OpenerNotice.last_event_id).where(OpenerNotice.case_id == case.id).scalar_subquery()
    )
    wants = (
        select(NotifyPreference.opener_dms)
        .where(NotifyPreference.user_id == case.opened_by)
        .scalar_subquery()
    )
    rows = session.exec(
        select(CaseEvent, wants)
        .where(
            CaseEvent.case_id == case.id,
            or_(CaseEvent.id > mark, and_(mark.is_(None), CaseEvent.at >= now)),
        )
        .order_by(CaseEvent.id)
    ).all()
    if not rows:
        return [], False
    _mark(session, case.id, rows[-1][0].id, now)
    told = [event for event, _ in rows if event.kind in NOTICE_KINDS]
    return told, rows[0][1] is None or bool(rows[0][1])


def _mark(session: Session, case_id: int, last_event_id: int, now: datetime) -> None:
    """Record how far the case's events were looked at: one INSERT … ON CONFLICT DO UPDATE."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        mark = session.get(OpenerNotice, case_id) or OpenerNotice(case_id=case_id)
        mark.last_event_id, mark.updated_at = last_event_id, now
        session.add(mark)
        return
    dialect_insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = dialect_insert(OpenerNotice).values(
        case_id=case_id, last_event_id=last_event_id, updated_at=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["case_id"],
            set_={
                "last_event_id": statement.excluded.last_event_id,
                "updated_at": statement.excluded.updated_at,
            },
        )
    )


def notify_opener(session: Session, case: Case, now: datetime) -> None:
    """Queue a DM to the case's opener for each event of this change they hear about."""
    events, wants = _new_events(session, case, now)
    if not events or not wants:
        return
    for event in events:
        notice = opener_notice(
            case_id=case.id,
            summary=case.summary,
            kind=event.kind,
            to_status=event.to_status,
            actor=event.actor,
            opener=case.opened_by,
            detail=event.detail if isinstance(event.detail, dict) else {},
        )
        if notice is None:
            continue
        # No channel: the outbox tells them in their DM with the bot.
        slack_posts.post_ephemeral(
            session,
            user=case.opened_by,
            channel=None,
            now=now,
            text=build_opener_dm(notice),
            case_id=case.id,
            dedup_key=f"opener-dm:{event.id}",
        )


def set_opener_dms(engine, user_id: str, *, on: bool, now: datetime) -> None:
    """Turn a person's DMs about their cases on or off."""
    with write_session(engine) as session:
        preference = session.get(NotifyPreference, user_id)
        if preference is None:
            preference = NotifyPreference(user_id=user_id, opener_dms=on, updated_at=now)
        else:
            preference.opener_dms, preference.updated_at = on, now
        session.add(preference)
