"""Undo: removing the reaction behind a case's latest move takes that move back.

Only the latest move can be undone, only by the person whose reaction on that message made it,
and only while the case still shows what the move left (the status machine's `undo` checks).
Whoever could make the move may take it back, even if the move handed the case up a tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from slackbot.domain.cases import CaseStatus
from slackbot.domain.status_machine import (
    Action,
    CaseState,
    IllegalTransition,
    Transition,
    Via,
    undo,
)
from slackbot.domain.vocabulary import MOVE_KINDS, EventKind
from slackbot.render import case_blocks
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import Actor, Outcome, Result, cas, claim_event, guard
from slackbot.usecases.events import record_event
from slackbot.usecases.hooks import case_changed
from storage.db import write_session
from storage.models import Case, CaseEvent
from storage.repositories import case_for_message, get_case


@dataclass(frozen=True)
class _Removal:
    """A removed reaction, as Slack reported it."""

    channel_id: str
    item_ts: str
    reaction: str
    actor: Actor
    event_id: str | None


def _latest_move(session: Session, case_id: int) -> CaseEvent | None:
    return session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind.in_(MOVE_KINDS))
        .order_by(CaseEvent.id.desc())
    ).first()


def _made_by(latest: CaseEvent | None, removal: _Removal) -> bool:
    """Whether the latest move is this person's reaction on this message (and not an undo)."""
    return (
        latest is not None
        and latest.kind == EventKind.STATUS_CHANGED
        and latest.detail.get("reaction") == removal.reaction
        and latest.detail.get("item_ts") == removal.item_ts
        and latest.actor == removal.actor.user_id
    )


def _as_transition(event: CaseEvent) -> Transition:
    detail = event.detail
    return Transition(
        action=Action(detail["action"]),
        actor=event.actor,
        before=CaseState(
            CaseStatus(event.from_status), detail.get("from_owner"), detail["from_tier"]
        ),
        after=CaseState(CaseStatus(event.to_status), detail.get("to_owner"), detail["to_tier"]),
    )


def _write_undo(
    services: Services,
    session: Session,
    case: Case,
    latest: CaseEvent,
    restored: CaseState,
    removal: _Removal,
    now: datetime,
) -> Transition:
    """Compare-and-set the state before the move, log the undo, and tell the thread."""
    undone = _as_transition(latest)
    values: dict[str, Any] = {
        "status": restored.status.value,
        "owner_id": restored.owner,
        "tier": restored.tier,
        "updated_at": now,
    }
    if undone.closes:
        values["closed_at"] = None
    if latest.detail.get("set_handed_off"):
        values["handed_off_at"] = None
    if undone.after.status is CaseStatus.VENDOR_NEEDS_INFO:
        # Their clocks were paused by mistake: they run again from now (issue 13).
        values["needs_info_answered_at"] = now
    cas(session, case, values)
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.UNDO,
        at=now,
        actor=removal.actor.user_id,
        via=Via.REACTION,
        from_status=undone.after.status.value,
        to_status=restored.status.value,
        undoes=latest.id,
        reaction=removal.reaction,
        item_ts=removal.item_ts,
    )
    case_changed(services, session, case, now)
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=case_blocks.build_undo_note(removal.actor.user_id, case.id, undone),
    )
    return undone


def _undo_in_session(
    services: Services, session: Session, removal: _Removal, now: datetime
) -> Result:
    found = case_for_message(session, channel_id=removal.channel_id, ts=removal.item_ts)
    if found is None:
        return Result(Outcome.IGNORED, "not a case message")
    case = get_case(session, case_id=found.id, lock=True)
    latest = _latest_move(session, case.id)
    if not _made_by(latest, removal):
        # Not the reaction behind the latest change: removing it means nothing.
        return Result(Outcome.IGNORED, "not the latest change", case_id=case.id)
    playbook = services.playbooks.get(case.playbook_id)
    if playbook is None:
        return Result(Outcome.IGNORED, "the case's playbook is gone", case_id=case.id)
    undone = _as_transition(latest)
    if not claim_event(session, removal.event_id, now):
        return Result(Outcome.DUPLICATE, case_id=case.id)
    refused = guard(
        session,
        case,
        playbook,
        removal.actor,
        tier=undone.before.tier,
        via=Via.REACTION,
        what=EventKind.UNDO.value,
        now=now,
        reply_to=None,
    )
    if refused is not None:
        return refused
    try:
        restored = undo(case_blocks.case_state(case), undone)
    except IllegalTransition as exc:
        return Result(Outcome.REFUSED, exc.reason, case_id=case.id)
    _write_undo(services, session, case, latest, restored, removal, now)
    return Result(Outcome.APPLIED, case_id=case.id, transition=undone)


def undo_reaction(
    services: Services,
    *,
    channel_id: str,
    item_ts: str,
    reaction: str,
    actor: Actor,
    event_id: str | None,
    kick: bool = True,
) -> Result:
    """Undo the case's latest change if it was this person's reaction on this message."""
    removal = _Removal(channel_id, item_ts, reaction, actor, event_id)
    now = services.clock.now()
    try:
        with write_session(services.engine) as session:
            result = _undo_in_session(services, session, removal, now)
            if result.outcome is Outcome.NEEDS_MEMBERS:
                session.rollback()  # the edge fetches the tier's members and asks again
    except IntegrityError:
        return Result(Outcome.DUPLICATE)
    if kick and result.outcome is Outcome.APPLIED:
        services.outbox.kick()
    return result
