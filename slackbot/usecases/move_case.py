"""Working a case: moves (reactions, buttons, commands), undo, updates and thread replies.

Each use case is one transaction: it records the Slack event id (so a redelivery is a no-op),
locks the case, applies the status machine, compare-and-sets the case's version, writes the
event log and queues the Slack side effects through the outbox. Membership lists for the
authorisation rule are fetched by the Slack edge before the transaction and passed in by tier;
when the tier that decides is not among them the result asks for it (`needs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from slackbot.domain.cases import CaseStatus, case_key
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import (
    Action,
    CaseState,
    IllegalTransition,
    Responders,
    Transition,
    Via,
    apply,
    authorise,
    responders_for,
    undo,
)
from slackbot.domain.updates import Update
from slackbot.render import case_blocks
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.hooks import case_changed
from storage.db import write_session
from storage.models import Case, CaseEvent, ProcessedEvent
from storage.repositories import case_for_message, get_case, record_message

#: Slack retries for a few minutes at most; a day of ids is plenty.
PROCESSED_EVENT_TTL = timedelta(days=1)
MOVE_KINDS = ("status_changed", "undo")


class Outcome(StrEnum):
    """What became of a request."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    DENIED = "denied"
    REFUSED = "refused"
    IGNORED = "ignored"
    NEEDS_MEMBERS = "needs_members"


@dataclass(frozen=True)
class Result:
    """The outcome, and what the edge needs to act on it."""

    outcome: Outcome
    reason: str = ""
    case_id: int | None = None
    #: With NEEDS_MEMBERS: whose membership the edge must fetch before trying again.
    needs: Responders | None = None
    transition: Transition | None = None


class LostUpdate(Exception):
    """The case changed under us between read and write (never expected: rows are locked)."""


@dataclass(frozen=True)
class Actor:
    """Who asks, and the membership lists the edge fetched for them, by tier."""

    user_id: str
    members: Mapping[int, frozenset[str]] = field(default_factory=dict)


def _claim_event(session: Session, event_id: str | None, now: datetime) -> bool:
    """Record `event_id` as processed; False if it already was."""
    if event_id is None:
        return True
    if session.get(ProcessedEvent, event_id) is not None:
        return False
    session.add(ProcessedEvent(event_id=event_id, received_at=now))
    session.flush()
    return True


def _cas(session: Session, case: Case, values: dict[str, Any]) -> None:
    """Write `values` to the case only if nobody changed it since we read it."""
    result = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.version == case.version)
        .values(**values, version=case.version + 1)
    )
    if result.rowcount != 1:
        raise LostUpdate(f"{case_key(case.id)} changed concurrently")
    session.refresh(case)


def check_actor(
    case: Case, playbook: Playbook, actor: Actor, tier: int
) -> tuple[Outcome, str, Responders | None]:
    """May `actor` act on the case at `tier`: APPLIED, DENIED (why), or NEEDS_MEMBERS (whose)."""
    responders = responders_for(playbook, tier, channel_id=case.channel_id)
    members = actor.members.get(responders.tier)
    if members is None:
        return Outcome.NEEDS_MEMBERS, "", responders
    decision = authorise(actor.user_id, responders, members)
    if not decision.allowed:
        return Outcome.DENIED, decision.reason, None
    return Outcome.APPLIED, "", None


def deny(
    session: Session, case: Case, *, actor: str, via: Via, what: str, reason: str, now, reply_to
):
    """Record a refused attempt and tell the person why (nothing else changes)."""
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor=actor,
            kind="denied",
            via=via.value,
            detail={"action": what, "reason": reason},
        )
    )
    slack_posts.post_ephemeral(
        session,
        user=actor,
        channel=reply_to or case.channel_id,
        now=now,
        text=case_blocks.build_denial(case.id, reason),
    )


def guard(
    session: Session,
    case: Case,
    playbook: Playbook,
    actor: Actor,
    *,
    tier: int,
    via: Via,
    what: str,
    now: datetime,
    reply_to: str | None,
) -> Result | None:
    """None when `actor` may act at `tier`; else NEEDS_MEMBERS, or DENIED (recorded and told)."""
    outcome, why, needs = check_actor(case, playbook, actor, tier)
    if outcome is Outcome.NEEDS_MEMBERS:
        return Result(outcome, case_id=case.id, needs=needs)
    if outcome is Outcome.DENIED:
        deny(
            session,
            case,
            actor=actor.user_id,
            via=via,
            what=what,
            reason=why,
            now=now,
            reply_to=reply_to,
        )
        return Result(Outcome.DENIED, why, case_id=case.id)
    return None


def _transition_values(transition: Transition, case: Case, now: datetime) -> dict[str, Any]:
    after = transition.after
    values: dict[str, Any] = {
        "status": after.status.value,
        "owner_id": after.owner,
        "tier": after.tier,
        "updated_at": now,
    }
    if transition.closes:
        values["closed_at"] = now
    if transition.reopens:
        values["closed_at"] = None
    if transition.hands_off and case.handed_off_at is None:
        values["handed_off_at"] = now
    return values


@dataclass(frozen=True)
class MoveRequest:
    """One request to move a case, however it arrived."""

    case_id: int
    action: Action
    actor: Actor
    via: Via
    event_id: str | None
    reaction: str | None
    item_ts: str | None
    reason: str | None
    reply_to: str | None


def move_case(
    services: Services,
    *,
    case_id: int,
    action: Action,
    actor: Actor,
    via: Via,
    event_id: str | None = None,
    reaction: str | None = None,
    item_ts: str | None = None,
    reason: str | None = None,
    reply_to: str | None = None,
    kick: bool = True,
) -> Result:
    """Apply `action` to the case, or refuse it; every path is one transaction."""
    request = MoveRequest(
        case_id=case_id,
        action=Action(action),
        actor=actor,
        via=via,
        event_id=event_id,
        reaction=reaction,
        item_ts=item_ts,
        reason=reason,
        reply_to=reply_to,
    )
    now = services.clock.now()
    for attempt in range(3):
        try:
            result = _move_once(services, request, now)
            break
        except LostUpdate:
            if attempt == 2:
                raise
    if kick and result.outcome in (Outcome.APPLIED, Outcome.DENIED, Outcome.REFUSED):
        services.outbox.kick()
    return result


def _move_once(services: Services, request: MoveRequest, now: datetime) -> Result:
    try:
        with write_session(services.engine) as session:
            result = move_in_session(services, session, request, now)
            if result.outcome is Outcome.NEEDS_MEMBERS:
                session.rollback()
            return result
    except IntegrityError:
        # Another process claimed the same event id between our check and our insert.
        return Result(Outcome.DUPLICATE, case_id=request.case_id)


def move_in_session(
    services: Services, session: Session, request: MoveRequest, now: datetime
) -> Result:
    """Apply a move inside the caller's transaction (see `move_case`)."""
    actor, action = request.actor, request.action
    case = get_case(session, case_id=request.case_id, lock=True)
    if case is None:
        return Result(Outcome.IGNORED, "no such case")
    playbook = services.playbooks.get(case.playbook_id)
    if playbook is None:
        return Result(Outcome.IGNORED, "the case's playbook is gone", case_id=case.id)
    # A redelivery is recognised before anyone's membership is fetched.
    if not _claim_event(session, request.event_id, now):
        return Result(Outcome.DUPLICATE, case_id=case.id)
    refused = guard(
        session,
        case,
        playbook,
        actor,
        tier=case.tier,
        via=request.via,
        what=action.value,
        now=now,
        reply_to=request.reply_to,
    )
    if refused is not None:  # on NEEDS_MEMBERS the caller rolls back, fetches and asks again
        return refused
    state = case_blocks.case_state(case)
    try:
        transition = apply(state, action, actor=actor.user_id, top_tier=playbook.top_tier)
    except IllegalTransition as exc:
        slack_posts.post_ephemeral(
            session,
            user=actor.user_id,
            channel=request.reply_to or case.channel_id,
            now=now,
            text=case_blocks.build_refusal(case.id, action, exc.reason),
        )
        return Result(Outcome.REFUSED, exc.reason, case_id=case.id)
    values = _transition_values(transition, case, now)
    _cas(session, case, values)
    detail: dict[str, Any] = {
        "action": action.value,
        "from_owner": state.owner,
        "to_owner": transition.after.owner,
        "from_tier": state.tier,
        "to_tier": transition.after.tier,
    }
    if "handed_off_at" in values:
        detail["set_handed_off"] = True
    if request.reaction:
        detail.update(reaction=request.reaction, item_ts=request.item_ts)
    if request.reason:
        detail["note"] = request.reason
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor=actor.user_id,
            kind="status_changed",
            via=request.via.value,
            from_status=state.status.value,
            to_status=transition.after.status.value,
            detail=detail,
        )
    )
    case_changed(services, session, case, now)
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=case_blocks.build_move_note(transition, case.id, request.reason),
    )
    if transition.escalated:
        slack_posts.post_in_thread(
            session,
            case_id=case.id,
            now=now,
            text=case_blocks.build_handoff_note(case, playbook, transition, request.reason),
        )
    return Result(Outcome.APPLIED, case_id=case.id, transition=transition)


def _latest_move(session: Session, case_id: int) -> CaseEvent | None:
    return session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind.in_(MOVE_KINDS))
        .order_by(CaseEvent.id.desc())
    ).first()


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
    now = services.clock.now()
    try:
        with write_session(services.engine) as session:
            found = case_for_message(session, channel_id=channel_id, ts=item_ts)
            if found is None:
                return Result(Outcome.IGNORED, "not a case message")
            case = get_case(session, case_id=found.id, lock=True)
            latest = _latest_move(session, case.id)
            if (
                latest is None
                or latest.kind != "status_changed"
                or latest.detail.get("reaction") != reaction
                or latest.detail.get("item_ts") != item_ts
                or latest.actor != actor.user_id
            ):
                # Not the reaction behind the latest change: removing it means nothing.
                return Result(Outcome.IGNORED, "not the latest change", case_id=case.id)
            playbook = services.playbooks.get(case.playbook_id)
            if playbook is None:
                return Result(Outcome.IGNORED, "the case's playbook is gone", case_id=case.id)
            undone = _as_transition(latest)
            if not _claim_event(session, event_id, now):
                return Result(Outcome.DUPLICATE, case_id=case.id)
            # Whoever could make the move may take it back, even if it handed the case up.
            refused = guard(
                session,
                case,
                playbook,
                actor,
                tier=undone.before.tier,
                via=Via.REACTION,
                what="undo",
                now=now,
                reply_to=None,
            )
            if refused is not None:
                if refused.outcome is Outcome.NEEDS_MEMBERS:
                    session.rollback()
                return refused
            try:
                restored = undo(case_blocks.case_state(case), undone)
            except IllegalTransition as exc:
                return Result(Outcome.REFUSED, exc.reason, case_id=case.id)
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
            _cas(session, case, values)
            session.add(
                CaseEvent(
                    case_id=case.id,
                    at=now,
                    actor=actor.user_id,
                    kind="undo",
                    via=Via.REACTION.value,
                    from_status=undone.after.status.value,
                    to_status=restored.status.value,
                    detail={"undoes": latest.id, "reaction": reaction, "item_ts": item_ts},
                )
            )
            case_changed(services, session, case, now)
            slack_posts.post_in_thread(
                session,
                case_id=case.id,
                now=now,
                text=case_blocks.build_undo_note(actor.user_id, case.id, undone),
            )
            result = Result(Outcome.APPLIED, case_id=case.id, transition=undone)
    except IntegrityError:
        return Result(Outcome.DUPLICATE)
    if kick:
        services.outbox.kick()
    return result


def add_update(
    services: Services,
    *,
    case_id: int,
    actor: Actor,
    update_: Update,
    via: Via = Via.MODAL,
    kick: bool = True,
) -> Result:
    """Record what the vendor or team said: the update reminders count."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id, lock=True)
        if case is None:
            return Result(Outcome.IGNORED, "no such case")
        playbook = services.playbooks.get(case.playbook_id)
        if playbook is None:
            return Result(Outcome.IGNORED, "the case's playbook is gone", case_id=case.id)
        refused = guard(
            session,
            case,
            playbook,
            actor,
            tier=case.tier,
            via=via,
            what="update",
            now=now,
            reply_to=None,
        )
        if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()
            return refused
        if refused is not None:
            result = refused
        else:
            values: dict[str, Any] = {"last_update_at": now, "updated_at": now}
            if update_.vendor_ticket:
                values["vendor_ticket"] = update_.vendor_ticket
            if update_.vendor_status:
                values["vendor_status"] = update_.vendor_status
            _cas(session, case, values)
            session.add(
                CaseEvent(
                    case_id=case.id,
                    at=now,
                    actor=actor.user_id,
                    kind="update",
                    via=via.value,
                    detail=update_.as_detail(),
                )
            )
            case_changed(services, session, case, now)
            slack_posts.post_in_thread(
                session,
                case_id=case.id,
                now=now,
                text=case_blocks.build_update_note(actor.user_id, case.id, update_),
            )
            result = Result(Outcome.APPLIED, case_id=case.id)
    if kick:
        services.outbox.kick()
    return result


REPLY_TEXT_LIMIT = 4000


def record_reply(
    services: Services,
    *,
    channel_id: str,
    thread_ts: str,
    ts: str,
    user: str,
    text: str,
    event_id: str | None,
    files: list[dict[str, Any]] | None = None,
) -> Result:
    """Append a person's reply in a case thread to the case's timeline."""
    now = services.clock.now()
    try:
        with write_session(services.engine) as session:
            case = case_for_message(session, channel_id=channel_id, ts=thread_ts)
            if case is None:
                return Result(Outcome.IGNORED, "not a case thread")
            if not _claim_event(session, event_id, now):
                return Result(Outcome.DUPLICATE, case_id=case.id)
            detail: dict[str, Any] = {"ts": ts, "text": (text or "")[:REPLY_TEXT_LIMIT]}
            if files:
                detail["files"] = files
            session.add(
                CaseEvent(
                    case_id=case.id, at=now, actor=user, kind="reply", via="thread", detail=detail
                )
            )
            # Replies belong to the case too: a reaction on one of them moves it.
            record_message(
                session, case_id=case.id, channel_id=channel_id, ts=ts, kind="reply", now=now
            )
            return Result(Outcome.APPLIED, case_id=case.id)
    except IntegrityError:
        return Result(Outcome.DUPLICATE)


def prune_processed_events(
    services: Services, *, older_than: timedelta = PROCESSED_EVENT_TTL
) -> int:
    """Forget processed event ids older than a day (the scheduler calls this every tick)."""
    cutoff = services.clock.now() - older_than
    with write_session(services.engine) as session:
        result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
        return result.rowcount or 0
