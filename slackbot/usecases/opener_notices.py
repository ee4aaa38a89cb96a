"""Keeping the opener told (issue 13): a DM when their case moves, gets an update or closes,
unless they turned it off with `/escalate notify off`.

A case hook: it runs in every changing transaction (`slackbot.usecases.hooks`), reads the
case's events it has not looked at yet (a mark per case, `OpenerNotice`), and queues one DM per
event through the outbox, keyed by the event's id, so a replay never sends one twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from slackbot.domain.intake_sources import NOTICE_KINDS, opener_notice
from slackbot.render.intake_sources import build_opener_dm
from slackbot.usecases import slack_posts
from storage.db import write_session
from storage.models import Case, CaseEvent, NotifyPreference, OpenerNotice


def wants_dms(session: Session, user_id: str) -> bool:
    """Whether `user_id` gets DMs about the cases they opened (yes unless turned off)."""
    preference = session.get(NotifyPreference, user_id)
    return preference is None or preference.opener_dms


def _new_events(session: Session, case: Case, now: datetime) -> list[CaseEvent]:
    """The case's events the opener's DMs have not looked at yet (marked as looked at now).

    A case first seen here (opened before this feature, or just now) starts with the events
    of this change, which carry its `now`; the case's row lock keeps the mark in step."""
    mark = session.get(OpenerNotice, case.id)
    statement = select(CaseEvent).where(CaseEvent.case_id == case.id)
    if mark is None:
        statement = statement.where(CaseEvent.at >= now)
        mark = OpenerNotice(case_id=case.id, last_event_id=0, updated_at=now)
    else:
        statement = statement.where(CaseEvent.id > mark.last_event_id)
    events = list(session.exec(statement.order_by(CaseEvent.id)).all())
    if events:
        mark.last_event_id, mark.updated_at = events[-1].id, now
        session.add(mark)
    return [event for event in events if event.kind in NOTICE_KINDS]


def notify_opener(session: Session, case: Case, now: datetime) -> None:
    """Queue a DM to the case's opener for each event of this change they hear about."""
    events = _new_events(session, case, now)
    if not events or not wants_dms(session, case.opened_by):
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
