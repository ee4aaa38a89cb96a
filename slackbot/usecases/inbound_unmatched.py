"""Unmatched vendor emails: Attach to case or Ignore, from the unmatched channel.

An unmatched email is attached by reading it again from the mailbox (`inbound_reread`: folder,
UIDVALIDITY and UID are on its row; the bytes are never stored) and posting it in the case's
thread as if it had matched, by the case's tier responders only.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.domain.cases import case_key
from slackbot.domain.inbound import InboundMail, InboundStatus
from slackbot.domain.inbound_rules import summarise
from slackbot.domain.status_machine import Via
from slackbot.render.inbound_blocks import build_unmatched_decided
from slackbot.usecases.inbound_decisions import InboundError, Pressed
from slackbot.usecases.inbound_post import post_matched, post_notice
from slackbot.usecases.move_case import Outcome, Result, guard
from storage.db import write_session
from storage.inbound import get_inbound, set_inbound_status
from storage.models import Case, InboundMessage
from storage.repositories import get_case

if TYPE_CHECKING:
    from slackbot.services import Services


def unmatched_row(session: Session, inbound_id: int) -> InboundMessage:
    """The unmatched email's row; InboundError when it is gone or was dealt with."""
    row = get_inbound(session, inbound_id=inbound_id)
    if row is None:
        raise InboundError("This email is no longer known; nothing changed.")
    if row.status != InboundStatus.UNMATCHED.value:
        where = f" to {case_key(row.case_id)}" if row.case_id else ""
        raise InboundError(f"This email was {row.status}{where} already; nothing changed.")
    return row


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
        row = unmatched_row(session, inbound_id)
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
        row = unmatched_row(session, inbound_id)
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
        return unmatched_row(session, inbound_id).subject or "(no subject)"
