"""What people decide about vendors' emails: Apply or Ignore a proposal, Attach an unmatched
email to a case or Ignore it, View the full email.

Nothing changes a case's status without a person: Apply makes the playbook's move through the
ordinary move (`move_in_session`, the same rule as reactions and buttons: the case's tier
responders only; anyone else is told so and the attempt is logged), in one transaction with
the decision, so a proposal is decided once. An unmatched email is attached by re-reading it
from the mailbox (folder, UIDVALIDITY and UID are on its row; the bytes are never stored) and
posting it as if it had matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.domain.cases import CaseStatus, case_key
from slackbot.domain.errors import UserFacingError
from slackbot.domain.inbound import InboundMail, InboundStatus
from slackbot.domain.inbound_classify import ReplyKind
from slackbot.domain.inbound_rules import PROPOSALS, REASON_LIMIT, Proposal, cut, summarise
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Action, Via
from slackbot.domain.vocabulary import EventKind
from slackbot.render.inbound_blocks import (
    build_full_email,
    build_proposal_decided,
    build_take_on_note,
    build_unmatched_decided,
)
from slackbot.usecases import slack_posts
from slackbot.usecases.events import record_event
from slackbot.usecases.inbound_mail import read_mail
from slackbot.usecases.inbound_post import post_matched, post_notice, vendor_name
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
from storage.inbound import get_inbound, proposal_decisions, set_inbound_status
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


def _tell(session: Session, pressed: Pressed, text: str, now: datetime, case_id=None) -> None:
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
    _tell(
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
    """The proposal's move, or (nothing to move) the presser taking the request on."""
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


# --- unmatched emails ------------------------------------------------------------------------


def _unmatched(session: Session, inbound_id: int) -> InboundMessage:
    row = get_inbound(session, inbound_id=inbound_id)
    if row is None:
        raise InboundError("This email is no longer known; nothing changed.")
    if row.status != InboundStatus.UNMATCHED.value:
        where = f" to {case_key(row.case_id)}" if row.case_id else ""
        raise InboundError(f"This email was {row.status}{where} already; nothing changed.")
    return row


def fetch_mail(services: Services, *, inbound_id: int, unmatched: bool = False) -> InboundMail:
    """Read a recorded email again from the mailbox (where its row says it is)."""
    with Session(services.engine) as session:
        row = (
            _unmatched(session, inbound_id)
            if unmatched
            else get_inbound(session, inbound_id=inbound_id)
        )
    if row is None:
        raise InboundError("This email is no longer known.")
    client = services.mailbox
    if client is None or client.folder != row.folder:
        raise InboundError("The mailbox this email came from is not configured here.")
    try:
        with client.open() as mailbox:
            if mailbox.uidvalidity != row.uidvalidity:
                raise InboundError(
                    "The mail folder was rebuilt since this email came (its UIDVALIDITY "
                    "changed): forward the email to the mailbox again to post it."
                )
            fetched = mailbox.fetch([row.uid])
    except InboundError:
        raise
    except Exception as exc:  # the mailbox is down or refuses us: nothing changed
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise InboundError(
            f"Could not read the mailbox just now ({reason}); nothing changed. Try again soon."
        ) from None
    mail = (
        read_mail(services, fetched[0].raw, services.clock.now(), truncated=fetched[0].truncated)
        if fetched
        else None
    )
    if mail is None or mail.dedup_key != row.message_id:
        raise InboundError("This email is no longer in the mailbox; nothing changed.")
    return mail


def attach_to_case(
    services: Services,
    *,
    inbound_id: int,
    case_id: int,
    mail: InboundMail,
    pressed: Pressed,
    kick: bool = True,
) -> Result:
    """Post an unmatched email in a case's thread as if it had matched (tier responders)."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        row = _unmatched(session, inbound_id)
        case = get_case(session, case_id=case_id, lock=True)
        playbook = services.playbooks.get(case.playbook_id) if case else None
        if case is None or playbook is None:
            raise InboundError(f"There is no case {case_key(case_id)}; nothing changed.")
        refused = guard(
            session,
            case,
            playbook,
            pressed.actor,
            tier=case.tier,
            via=Via.MODAL,
            what="attach an email",
            now=now,
            reply_to=pressed.channel,
        )
        if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()  # the edge fetches the members and asks again
            return refused
        if refused is None:
            _attach(services, session, row, case, mail, pressed, now)
    if kick:
        services.outbox.kick()
    return refused or Result(Outcome.APPLIED, case_id=case_id)


def _attach(
    services: Services,
    session: Session,
    row: InboundMessage,
    case: Case,
    mail: InboundMail,
    pressed: Pressed,
    now: datetime,
) -> None:
    """Record the email as this case's and post it there, as if it had matched."""
    if not set_inbound_status(
        session,
        inbound_id=row.id,
        from_status=InboundStatus.UNMATCHED.value,
        to_status=InboundStatus.POSTED.value,
        case_id=case.id,
        reason=f"attached by {pressed.actor.user_id}",
    ):
        raise InboundError("This email was attached or ignored already; nothing changed.")
    session.refresh(row)
    classification = post_matched(
        services,
        session,
        case=case,
        mail=mail,
        row=row,
        now=now,
        attached_by=pressed.actor.user_id,
    )
    row.kind = classification.kind.value
    session.add(row)
    _edit_summary(session, pressed, mail, case.id, now)


def _edit_summary(
    session: Session, pressed: Pressed, mail: InboundMail | None, case_id, now: datetime
) -> None:
    if not (pressed.channel and pressed.message_ts and mail is not None):
        return
    text, blocks = build_unmatched_decided(
        summary=summarise(mail), user=pressed.actor.user_id, case_id=case_id
    )
    post_notice(
        session, channel=pressed.channel, ts=pressed.message_ts, text=text, blocks=blocks, now=now
    )


def dismiss_unmatched(services: Services, *, inbound_id: int, pressed: Pressed) -> None:
    """Ignore an unmatched email: it stays in the mailbox, recorded as ignored by whom."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        row = _unmatched(session, inbound_id)
        set_inbound_status(
            session,
            inbound_id=row.id,
            from_status=InboundStatus.UNMATCHED.value,
            to_status=InboundStatus.IGNORED.value,
            reason=f"ignored by {pressed.actor.user_id}",
        )
        if pressed.channel and pressed.message_ts:
            text = (
                f":heavy_minus_sign: Email from {row.sender or '(no sender)'}: ignored by "
                f"<@{pressed.actor.user_id}>."
            )
            post_notice(
                session,
                channel=pressed.channel,
                ts=pressed.message_ts,
                text=text,
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
                now=now,
            )
    services.outbox.kick()


def unmatched_subject(services: Services, *, inbound_id: int) -> str:
    """The subject an unmatched email was recorded with (contact details hidden)."""
    with Session(services.engine) as session:
        return _unmatched(session, inbound_id).subject or "(no subject)"


# --- the full email --------------------------------------------------------------------------


def may_view(services: Services, *, inbound_id: int, pressed: Pressed) -> Result:
    """Whether the presser may read the whole email (the case's opener or its tier's
    responders); every viewing is logged, every refusal too."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        row = get_inbound(session, inbound_id=inbound_id)
        case = get_case(session, case_id=row.case_id) if row and row.case_id else None
        playbook = services.playbooks.get(case.playbook_id) if case else None
        if case is None or playbook is None:
            raise InboundError("This email's case no longer exists.")
        refused = None
        if pressed.actor.user_id != case.opened_by:
            refused = guard(
                session,
                case,
                playbook,
                pressed.actor,
                tier=case.tier,
                via=Via.BUTTON,
                what="view an email",
                now=now,
                reply_to=pressed.channel,
            )
        if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()  # the edge fetches the members and asks again
            return refused
        if refused is None:
            record_event(
                session,
                case_id=case.id,
                kind=EventKind.EMAIL_VIEWED,
                at=now,
                actor=pressed.actor.user_id,
                via=Via.BUTTON,
                inbound_id=row.id,
            )
    services.outbox.kick()
    return refused or Result(Outcome.APPLIED, case_id=case.id)


def show_full_email(services: Services, *, inbound_id: int, pressed: Pressed) -> None:
    """Read the email again and show it whole, to the presser only (after `may_view`)."""
    mail = fetch_mail(services, inbound_id=inbound_id)
    with Session(services.engine) as session:
        row = get_inbound(session, inbound_id=inbound_id)
    sent = f"{mail.sent_at:%Y-%m-%d %H:%M} UTC" if mail.sent_at else "(no date)"
    text = build_full_email(
        case_id=row.case_id,
        sender=str(mail.sender) if mail.sender else "(no sender)",
        subject=mail.subject,
        sent_at=sent,
        text=mail.new_text or mail.text,
        files=[item.filename for item in mail.attachments],
    )
    with write_session(services.engine) as session:
        _tell(session, pressed, text, services.clock.now(), row.case_id)
    services.outbox.kick()
