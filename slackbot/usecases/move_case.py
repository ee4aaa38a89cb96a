"""Moving a case through the status machine: reactions, buttons, commands, and the bot's own clocks.

Each move is one transaction: it records the Slack event id (so a redelivery is a no-op), locks
the case, authorises the actor, applies the status machine, compare-and-sets the case's version,
writes the event log and queues the Slack side effects through the outbox (`case_change` holds
those shared steps). Every status change goes through `move_in_session`, the scheduler's
unreachable close included. Undo, updates and thread replies are `undo`, `updates`, `replies`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from slackbot.domain.cases import CaseStatus
from slackbot.domain.playbooks import Playbook
from slackbot.domain.resolution import Resolution
from slackbot.domain.status_machine import Action, IllegalTransition, Transition, Via, apply
from slackbot.domain.vocabulary import EventKind
from slackbot.render import case_blocks
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import (
    Actor,
    LostUpdate,
    Outcome,
    Result,
    cas,
    claim_event,
    guard,
    prune_processed_events,
)
from slackbot.usecases.closing import (
    ask_for_note,
    ask_how_it_went,
    needs_note,
    post_resolution_note,
    resolution_values,
)
from slackbot.usecases.events import record_event
from slackbot.usecases.hooks import case_changed
from storage.db import write_session
from storage.models import Case
from storage.repositories import get_case

#: Callers (the hand-off flow, the actor helper, the composition root) import these from here.
__all__ = [
    "Actor",
    "LostUpdate",
    "MoveRequest",
    "Outcome",
    "Result",
    "guard",
    "move_case",
    "move_in_session",
    "prune_processed_events",
]

#: How often a move is retried when the case changed between read and write.
ATTEMPTS = 3


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
    #: More for the event log's detail (e.g. the rule behind one of the bot's own moves).
    detail: Mapping[str, Any] = field(default_factory=dict)
    #: The bot's own moves say nothing in Slack here: no move note, no refusal to a person.
    quiet: bool = False
    #: The note a resolve closes with (issue 13): a resolve without one prompts for it.
    resolution: Resolution | None = None
    #: Whether a resolve without its note posts the note form's button (off where the edge
    #: opens the form itself, e.g. Apply on a vendor's "resolved").
    prompt_note: bool = True


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
    resolution: Resolution | None = None,
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
        resolution=resolution,
    )
    now = services.clock.now()
    for attempt in range(ATTEMPTS):
        try:
            result = _move_once(services, request, now)
            break
        except LostUpdate:
            if attempt == ATTEMPTS - 1:
                raise
    if kick and result.outcome in (
        Outcome.APPLIED,
        Outcome.DENIED,
        Outcome.REFUSED,
        Outcome.NEEDS_NOTE,
    ):
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
    case = get_case(session, case_id=request.case_id, lock=True)
    if case is None:
        return Result(Outcome.IGNORED, "no such case")
    playbook = services.playbooks.get(case.playbook_id)
    if playbook is None:
        return Result(Outcome.IGNORED, "the case's playbook is gone", case_id=case.id)
    # A redelivery is recognised before anyone's membership is fetched.
    if not claim_event(session, request.event_id, now):
        return Result(Outcome.DUPLICATE, case_id=case.id)
    refused = guard(
        session,
        case,
        playbook,
        request.actor,
        tier=case.tier,
        via=request.via,
        what=request.action.value,
        now=now,
        reply_to=request.reply_to,
    )
    if refused is not None:  # on NEEDS_MEMBERS the caller rolls back, fetches and asks again
        return refused
    try:
        transition = apply(
            case_blocks.case_state(case),
            request.action,
            actor=request.actor.user_id,
            top_tier=playbook.top_tier,
        )
    except IllegalTransition as exc:
        if not request.quiet:
            _tell_refusal(session, case, request, exc.reason, now)
        return Result(Outcome.REFUSED, exc.reason, case_id=case.id)
    if needs_note(transition, request):
        return ask_for_note(session, case, request, now)
    _write_move(services, session, case, request, transition, now)
    if not request.quiet:
        _announce(session, case, playbook, request, transition, now)
    return Result(Outcome.APPLIED, case_id=case.id, transition=transition)


def _tell_refusal(
    session: Session, case: Case, request: MoveRequest, reason: str, now: datetime
) -> None:
    slack_posts.post_ephemeral(
        session,
        user=request.actor.user_id,
        channel=request.reply_to or case.channel_id,
        now=now,
        text=case_blocks.build_refusal(case.id, request.action, reason),
    )


def _transition_values(
    transition: Transition, case: Case, now: datetime, reason: str | None = None
) -> dict[str, Any]:
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
    values.update(_needs_info_values(transition, reason, now))
    return values


def _needs_info_values(transition: Transition, reason: str | None, now: datetime) -> dict[str, Any]:
    """Waiting on us (issue 13): what the vendor asked for and since when; when it went back."""
    waiting = CaseStatus.VENDOR_NEEDS_INFO
    if transition.after.status is waiting and transition.before.status is not waiting:
        return {"needs_info": reason, "needs_info_since": now}
    if transition.before.status is waiting and transition.after.status is not waiting:
        return {"needs_info_answered_at": now}
    return {}


def _move_detail(
    request: MoveRequest, transition: Transition, values: Mapping[str, Any]
) -> dict[str, Any]:
    """What the event log keeps of a move: enough for undo to restore the state before it."""
    before, after = transition.before, transition.after
    detail: dict[str, Any] = {
        "action": request.action.value,
        "from_owner": before.owner,
        "to_owner": after.owner,
        "from_tier": before.tier,
        "to_tier": after.tier,
    }
    if "handed_off_at" in values:
        detail["set_handed_off"] = True
    if request.reaction:
        detail.update(reaction=request.reaction, item_ts=request.item_ts)
    if request.reason:
        detail["note"] = request.reason
    if request.resolution is not None:
        detail["resolution"] = request.resolution.as_detail()
        detail["action_needed"] = request.resolution.action_needed
    detail.update(request.detail)
    return detail


def _write_move(
    services: Services,
    session: Session,
    case: Case,
    request: MoveRequest,
    transition: Transition,
    now: datetime,
) -> None:
    """Compare-and-set the case, log the move, and run what follows any change."""
    values = _transition_values(transition, case, now, request.reason)
    values.update(resolution_values(request.resolution, transition))
    cas(session, case, values)
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.STATUS_CHANGED,
        at=now,
        actor=request.actor.user_id,
        via=request.via,
        from_status=transition.before.status.value,
        to_status=transition.after.status.value,
        **_move_detail(request, transition, values),
    )
    case_changed(
        services, session, case, now
    )  # the opener hears "is closed" first, then the question
    if transition.closes:
        ask_how_it_went(session, case, now)


def _announce(
    session: Session,
    case: Case,
    playbook: Playbook,
    request: MoveRequest,
    transition: Transition,
    now: datetime,
) -> None:
    """The move note in the thread, and the hand-off note when the case went up a tier."""
    if request.resolution is not None:
        post_resolution_note(session, case, request.actor.user_id, request.resolution, now)
    else:
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
