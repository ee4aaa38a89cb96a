"""Closing a case with its resolution note, and recording its opener's rating (issue 13).

The note form opens only for who may move the case (its tier's responders) and only while a
resolve is allowed; the case resolves when the form is submitted (`move_case` with the note,
the same transaction and guards as every move). The rating is the opener's alone, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from slackbot.domain.resolution import Rating, Resolution
from slackbot.domain.status_machine import Action, IllegalTransition, Via, apply
from slackbot.domain.vocabulary import EventKind
from slackbot.render import case_blocks, resolution_blocks
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import Actor, Outcome, Result, cas, deny, guard
from slackbot.usecases.events import record_event
from slackbot.usecases.move_case import move_case
from storage.db import write_session
from storage.models import Case
from storage.repositories import get_case

if TYPE_CHECKING:
    from slackbot.services import Services


@dataclass(frozen=True)
class FormResult(Result):
    """A result that may carry the modal to open."""

    view: dict[str, Any] | None = None


def resolution_form(
    services: Services, *, case_id: int, actor: Actor, channel: str | None, via: Via = Via.BUTTON
) -> Result:
    """The note form for `actor`, once the guard and the status machine allow a resolve."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id)
        playbook = services.playbooks.get(case.playbook_id) if case else None
        if case is None or playbook is None:
            return Result(Outcome.IGNORED, "no such case")
        refused = guard(
            session,
            case,
            playbook,
            actor,
            tier=case.tier,
            via=via,
            what=Action.RESOLVE.value,
            now=now,
            reply_to=channel,
        )
        if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()
            return refused
        if refused is None:
            refused = _refuse_if_illegal(session, case, actor, channel, playbook.top_tier, now)
        if refused is None:
            return FormResult(
                Outcome.APPLIED,
                case_id=case.id,
                view=resolution_blocks.build_resolution_modal(case),
            )
    services.outbox.kick()
    return refused


def _refuse_if_illegal(
    session: Session, case: Case, actor: Actor, channel: str | None, top_tier: int, now: datetime
) -> Result | None:
    try:
        apply(case_blocks.case_state(case), Action.RESOLVE, actor=actor.user_id, top_tier=top_tier)
    except IllegalTransition as exc:
        slack_posts.post_ephemeral(
            session,
            user=actor.user_id,
            channel=channel or case.channel_id,
            now=now,
            text=case_blocks.build_refusal(case.id, Action.RESOLVE, exc.reason),
        )
        return Result(Outcome.REFUSED, exc.reason, case_id=case.id)
    return None


def proposal_note_view(
    services: Services, *, case_id: int, inbound_id: int, channel: str | None, ts: str | None
) -> dict[str, Any] | None:
    """The note form for applying a vendor's "resolved": its submission decides the proposal."""
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id)
        if case is None:
            return None
        extra = {"inbound_id": inbound_id, "channel": channel, "message_ts": ts}
        return resolution_blocks.build_resolution_modal(case, extra)


def resolve_with_note(
    services: Services, *, case_id: int, actor: Actor, resolution: Resolution
) -> Result:
    """The form was submitted: resolve the case with its note (guards as for every move)."""
    return move_case(
        services,
        case_id=case_id,
        action=Action.RESOLVE,
        actor=actor,
        via=Via.MODAL,
        resolution=resolution,
    )


def _rating_refusal(case: Case | None, user: str) -> str | None:
    if case is None:
        return "This case no longer exists."
    if user != case.opened_by:
        return "only the person who opened the case rates it"
    if case.rated_at is not None:
        return f"you already rated this case ({case.rating}/5): one answer per case"
    return None


def rating_form(services: Services, *, case_id: int, user: str, score: int) -> Result:
    """The rating modal, for the case's opener while they have not answered yet."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id)
        why = _rating_refusal(case, user)
        if why is None:
            view = resolution_blocks.build_rating_modal(case.id, score)
            return FormResult(Outcome.APPLIED, case_id=case.id, view=view)
        _deny_rating(session, case, user, why, now)
    services.outbox.kick()
    return Result(Outcome.DENIED, why, case_id=case_id)


def _deny_rating(session: Session, case: Case | None, user: str, why: str, now: datetime) -> None:
    if case is None:
        return
    deny(session, case, actor=user, via=Via.BUTTON, what="rate", reason=why, now=now, reply_to=None)


def record_rating(services: Services, *, case_id: int, user: str, rating: Rating) -> Result:
    """Record the opener's one answer on the case and thank them."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id, lock=True)
        why = _rating_refusal(case, user)
        if why is not None:
            _deny_rating(session, case, user, why, now)
            result = Result(Outcome.DENIED, why, case_id=case_id)
        else:
            values = {"rating": rating.score, "rating_comment": rating.comment, "rated_at": now}
            cas(session, case, values)
            record_event(
                session,
                case_id=case.id,
                kind=EventKind.RATED,
                at=now,
                actor=user,
                via=Via.MODAL,
                score=rating.score,
                **({"comment": rating.comment} if rating.comment else {}),
            )
            slack_posts.post_ephemeral(
                session,
                user=user,
                channel=None,
                case_id=case.id,
                now=now,
                text=resolution_blocks.build_rating_thanks(case.id, rating),
            )
            result = Result(Outcome.APPLIED, case_id=case.id)
    services.outbox.kick()
    return result
