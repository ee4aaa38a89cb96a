"""What people decide about a vendor's email in a case thread: Apply or Ignore its proposal.

Nothing changes a case's status without a person: Apply makes the playbook's move through the
ordinary move (`move_in_session`, the same rule as reactions and buttons: the case's tier
responders only; anyone else is told so and the attempt is logged), in one transaction with
the decision, so a proposal is decided once. (Unmatched emails: `inbound_unmatched`; the full
email: `inbound_reread`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.domain.cases import CaseStatus, case_key
from slackbot.domain.errors import UserFacingError
from slackbot.domain.inbound_classify import ReplyKind
from slackbot.domain.inbound_rules import PROPOSALS, REASON_LIMIT, Proposal, cut
from slackbot.domain.playbooks import Playbook
from slackbot.domain.resolution import Resolution
from slackbot.domain.status_machine import Action, Via
from slackbot.domain.vocabulary import EventKind
from slackbot.render.inbound_blocks import (
    build_proposal_decided,
    build_take_on_note,
)
from slackbot.usecases import case_work, slack_posts
from slackbot.usecases.case_change import guard_case
from slackbot.usecases.events import record_event
from slackbot.usecases.inbound_post import post_notice, vendor_name
from slackbot.usecases.move_case import (
    Actor,
    LostUpdate,
    MoveRequest,
    Outcome,
    Result,
    guard,
    move_in_session,
)
from storage.db import write_session
from storage.inbound import get_inbound, proposal_decisions
from storage.models import Case, CaseEvent, InboundMessage
from storage.repositories import get_case

if TYPE_CHECKING:
    from slackbot.services import Services

DECISIONS = (EventKind.PROPOSAL_APPLIED.value, EventKind.PROPOSAL_IGNORED.value)
ATTEMPTS = 3


class InboundError(UserFacingError):
    """An email can't be acted on as asked; the message is for the person who tried."""


@dataclass(frozen=True)
class Pressed:
    """Who pressed a button, and on which message (to edit it once decided)."""

    actor: Actor
    channel: str | None
    message_ts: str | None
    #: The note a "resolved" proposal closes the case with (issue 13), once its form is in.
    resolution: Resolution | None = None
    #: The edge opens the note form itself when the move asks for one.
    opens_form: bool = False


@dataclass(frozen=True)
class ProposalFacts:
    """A proposal's email, case and playbook, and what its email said, in one transaction."""

    row: InboundMessage
    case: Case
    playbook: Playbook
    proposal: Proposal
    update: CaseEvent | None
    decided: CaseEvent | None


def _load_proposal(services: Services, session: Session, inbound_id: int) -> ProposalFacts:
    row = get_inbound(session, inbound_id=inbound_id)
    proposal = PROPOSALS.get(ReplyKind(row.kind)) if row and row.kind in set(ReplyKind) else None
    if row is None or row.case_id is None or proposal is None:
        raise InboundError("This proposal is no longer known; nothing changed.")
    case = get_case(session, case_id=row.case_id, lock=True)
    playbook = services.playbooks.get(case.playbook_id) if case else None
    if case is None or playbook is None:
        raise InboundError("This case or its playbook no longer exists; nothing changed.")
    events = proposal_decisions(
        session, case_id=case.id, kinds=(EventKind.UPDATE.value, *DECISIONS)
    )
    mine = [event for event in events if (event.detail or {}).get("inbound_id") == row.id]
    update = next((event for event in mine if event.kind == EventKind.UPDATE.value), None)
    decided = next((event for event in mine if event.kind in DECISIONS), None)
    return ProposalFacts(row, case, playbook, proposal, update, decided)


def tell(
    session: Session, pressed: Pressed, text: str, now: datetime, case_id: int | None = None
) -> None:
    """Answer the presser only, where they pressed."""
    slack_posts.post_ephemeral(
        session,
        user=pressed.actor.user_id,
        channel=pressed.channel,
        case_id=case_id,
        now=now,
        text=text,
    )


def _already(session: Session, facts: ProposalFacts, pressed: Pressed, now: datetime) -> Result:
    decided = facts.decided
    how = "applied" if decided.kind == EventKind.PROPOSAL_APPLIED.value else "ignored"
    tell(
        session,
        pressed,
        f"This proposal on {case_key(facts.case.id)} was {how} by <@{decided.actor}> already.",
        now,
        facts.case.id,
    )
    return Result(Outcome.DUPLICATE, how, case_id=facts.case.id)


def _reason(facts: ProposalFacts) -> str:
    detail = (facts.update.detail or {}) if facts.update else {}
    said = detail.get("text") or detail.get("evidence") or ""
    sender = detail.get("sender") or vendor_name(facts.playbook)
    return cut(f"{sender}'s email: {' '.join(str(said).split())}", REASON_LIMIT)


def _move(
    services: Services,
    session: Session,
    facts: ProposalFacts,
    action: Action | None,
    pressed: Pressed,
    now: datetime,
) -> Result:
    """The proposal's move, the call-out confirmed, or the presser taking the request on."""
    if facts.proposal.kind is ReplyKind.CALLOUT_CONFIRMED:
        return _confirm_callout(services, session, facts, pressed, now)
    if action is not None:
        request = MoveRequest(
            case_id=facts.case.id,
            action=action,
            actor=pressed.actor,
            via=Via.BUTTON,
            event_id=None,
            reaction=None,
            item_ts=None,
            reason=_reason(facts),
            reply_to=pressed.channel,
            resolution=pressed.resolution,
            prompt_note=not pressed.opens_form,
        )
        return move_in_session(services, session, request, now)
    refused = guard(
        session,
        facts.case,
        facts.playbook,
        pressed.actor,
        tier=facts.case.tier,
        via=Via.BUTTON,
        what="take on the vendor's request",
        now=now,
        reply_to=pressed.channel,
    )
    if refused is not None:
        return refused
    slack_posts.post_in_thread(
        session,
        case_id=facts.case.id,
        now=now,
        text=build_take_on_note(
            case_id=facts.case.id,
            vendor=vendor_name(facts.playbook),
            user=pressed.actor.user_id,
        ),
    )
    return Result(Outcome.APPLIED, case_id=facts.case.id)


def _confirm_callout(
    services: Services, session: Session, facts: ProposalFacts, pressed: Pressed, now: datetime
) -> Result:
    """The vendor's email confirms the call-out: who may act on the case marks it so."""
    refused = guard_case(
        session,
        facts.case,
        facts.playbook,
        pressed.actor,
        via=Via.BUTTON,
        what=EventKind.CALLOUT_CONFIRMED.value,
        now=now,
        reply_to=pressed.channel,
    )
    if refused is not None:
        return refused
    return case_work.confirm_callout_in_session(
        services,
        session,
        facts.case,
        user=pressed.actor.user_id,
        via=Via.EMAIL,
        reply_to=pressed.channel,
        now=now,
    )


def _decide(
    services: Services, inbound_id: int, pressed: Pressed, *, apply: bool, now: datetime
) -> Result:
    with write_session(services.engine) as session:
        facts = _load_proposal(services, session, inbound_id)
        if facts.decided is not None:
            return _already(session, facts, pressed, now)
        action = facts.proposal.action_for(CaseStatus(facts.case.status))
        if apply:
            result = _move(services, session, facts, action, pressed, now)
        else:
            result = guard(
                session,
                facts.case,
                facts.playbook,
                pressed.actor,
                tier=facts.case.tier,
                via=Via.BUTTON,
                what="ignore the vendor's email",
                now=now,
                reply_to=pressed.channel,
            ) or Result(Outcome.APPLIED, case_id=facts.case.id)
        if result.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()  # the edge fetches the members and asks again
            return result
        if result.outcome is not Outcome.APPLIED:
            return result  # denied or refused: recorded and told by the move
        _record_decision(session, facts, action, pressed, apply=apply, now=now)
        return result


def _record_decision(
    session: Session,
    facts: ProposalFacts,
    action: Action | None,
    pressed: Pressed,
    *,
    apply: bool,
    now: datetime,
) -> None:
    record_event(
        session,
        case_id=facts.case.id,
        kind=EventKind.PROPOSAL_APPLIED if apply else EventKind.PROPOSAL_IGNORED,
        at=now,
        actor=pressed.actor.user_id,
        via=Via.BUTTON,
        inbound_id=facts.row.id,
        reply_kind=facts.row.kind,
        **({"action": action.value} if apply and action else {}),
    )
    if pressed.channel and pressed.message_ts:
        text, blocks = build_proposal_decided(
            case_id=facts.case.id,
            vendor=vendor_name(facts.playbook),
            proposal=facts.proposal,
            action=action,
            applied=apply,
            user=pressed.actor.user_id,
        )
        post_notice(
            session,
            channel=pressed.channel,
            ts=pressed.message_ts,
            text=text,
            blocks=blocks,
            now=now,
        )


def decide_proposal(
    services: Services, *, inbound_id: int, pressed: Pressed, apply: bool, kick: bool = True
) -> Result:
    """Apply (the playbook's move) or Ignore what a vendor's email proposed; once."""
    now = services.clock.now()
    for attempt in range(ATTEMPTS):
        try:
            result = _decide(services, inbound_id, pressed, apply=apply, now=now)
            break
        except LostUpdate:
            if attempt == ATTEMPTS - 1:
                raise
    if kick and result.outcome is not Outcome.NEEDS_MEMBERS:
        services.outbox.kick()
    return result
