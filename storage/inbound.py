"""Queries for inbound mail (issue 14): the mailbox's state, messages seen, and the cases an
email may belong to. Keyword-only; they never commit: the use case owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from slackbot.domain.cases import CaseStatus
from slackbot.domain.vocabulary import OutboxKind
from storage.models import Case, CaseEvent, EmailDraft, InboundMessage, MailboxState, OutboxItem

CLOSED = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED_UNREACHABLE.value)


def ensure_mailbox_row(session: Session, *, folder: str, now: datetime) -> None:
    """Create the folder's state row if there is none (UIDVALIDITY 0: never read)."""
    if session.exec(select(MailboxState.id).where(MailboxState.folder == folder)).first():
        return
    try:
        with session.begin_nested():
            session.add(MailboxState(folder=folder, uidvalidity=0, last_uid=0, updated_at=now))
    except IntegrityError:
        pass  # another replica created it between our read and our insert


def claim_mailbox(
    session: Session, *, folder: str, owner: str, until: datetime, now: datetime
) -> bool:
    """Take the folder's lease if nobody holds it (or theirs ran out); True if we have it."""
    result = session.execute(
        update(MailboxState)
        .where(MailboxState.folder == folder)
        .where(or_(MailboxState.claimed_until.is_(None), MailboxState.claimed_until < now))
        .values(claimed_by=owner, claimed_until=until)
    )
    return result.rowcount == 1


def mailbox_state(session: Session, *, folder: str) -> MailboxState | None:
    """The folder's state row."""
    return session.exec(select(MailboxState).where(MailboxState.folder == folder)).first()


def advance_mailbox(
    session: Session,
    *,
    folder: str,
    owner: str,
    uidvalidity: int,
    last_uid: int,
    until: datetime,
    now: datetime,
) -> bool:
    """Record how far we read and renew our lease; False if the lease is no longer ours."""
    result = session.execute(
        update(MailboxState)
        .where(MailboxState.folder == folder, MailboxState.claimed_by == owner)
        .values(uidvalidity=uidvalidity, last_uid=last_uid, claimed_until=until, updated_at=now)
    )
    return result.rowcount == 1


def release_mailbox(
    session: Session, *, folder: str, owner: str, until: datetime | None, **values
) -> bool:
    """Give the lease back (`until`: nobody polls before then, for backoff); other columns
    (failing_since, last_error) as given."""
    result = session.execute(
        update(MailboxState)
        .where(MailboxState.folder == folder, MailboxState.claimed_by == owner)
        .values(claimed_by=None, claimed_until=until, **values)
    )
    return result.rowcount == 1


def inbound_by_key(session: Session, *, message_id: str) -> InboundMessage | None:
    """The message already read with this dedup key."""
    return session.exec(
        select(InboundMessage).where(InboundMessage.message_id == message_id)
    ).first()


def get_inbound(session: Session, *, inbound_id: int) -> InboundMessage | None:
    """An inbound message by id."""
    return session.get(InboundMessage, inbound_id)


def set_inbound_status(
    session: Session, *, inbound_id: int, from_status: str, to_status: str, **values
) -> bool:
    """Move a message from one status to another, only if it is still in the first."""
    result = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.status == from_status)
        .values(status=to_status, **values)
    )
    return result.rowcount == 1


def case_for_message_ids(session: Session, *, message_ids: Sequence[str]) -> int | None:
    """The case of the first of `message_ids` that is one of our emails (drafts sent, or any
    email queued through the outbox, such as a page's)."""
    if not message_ids:
        return None
    found: dict[str, int] = {}
    drafts = session.exec(
        select(EmailDraft.message_id, EmailDraft.case_id).where(
            EmailDraft.message_id.in_(list(message_ids))
        )
    ).all()
    found.update({message_id: case_id for message_id, case_id in drafts})
    if message_ids[0] not in found:
        # Only when the id trusted most is not a draft's: this one reads JSON payloads.
        queued = OutboxItem.payload["message_id"].as_string()
        items = session.exec(
            select(queued, OutboxItem.case_id).where(
                OutboxItem.kind == OutboxKind.EMAIL.value,
                OutboxItem.case_id.is_not(None),
                queued.in_(list(message_ids)),
            )
        ).all()
        for message_id, case_id in items:
            found.setdefault(message_id, case_id)
    return next((found[m] for m in message_ids if m in found), None)


def existing_case_ids(session: Session, *, case_ids: Sequence[int]) -> list[int]:
    """Those of `case_ids` that are cases, in the order given."""
    if not case_ids:
        return []
    known = set(session.exec(select(Case.id).where(Case.id.in_(list(case_ids)))).all())
    return [case_id for case_id in case_ids if case_id in known]


def cases_by_internal_ticket(
    session: Session, *, playbook_id: str, tickets: Sequence[str]
) -> Sequence[Case]:
    """A playbook's cases with one of our ticket numbers, open ones first, newest first."""
    if not tickets:
        return []
    wanted = [ticket.lower() for ticket in tickets]
    return session.exec(
        select(Case)
        .where(Case.playbook_id == playbook_id, func.lower(Case.internal_ticket).in_(wanted))
        .order_by(Case.closed_at.is_not(None), Case.id.desc())
    ).all()


def cases_by_vendor_ticket(session: Session, *, tickets: Sequence[str]) -> Sequence[Case]:
    """Cases whose vendor ticket is one of `tickets` (any case), open ones first, newest first."""
    if not tickets:
        return []
    wanted = [ticket.lower().lstrip("#") for ticket in tickets]
    return session.exec(
        select(Case)
        .where(Case.vendor_ticket.is_not(None), func.lower(Case.vendor_ticket).in_(wanted))
        .order_by(Case.closed_at.is_not(None), Case.id.desc())
    ).all()


def proposal_decisions(
    session: Session, *, case_id: int, kinds: Sequence[str]
) -> Sequence[CaseEvent]:
    """A case's events of these kinds (decisions on proposals), oldest first."""
    return session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind.in_(list(kinds)))
        .order_by(CaseEvent.id)
    ).all()


def touch_case(session: Session, *, case: Case, values: dict) -> bool:
    """Write `values` to the (locked) case and bump its version, if nobody changed it since
    it was read; True when written."""
    result = session.execute(
        update(Case)
        .where(and_(Case.id == case.id, Case.version == case.version))
        .values(**values, version=case.version + 1)
    )
    if result.rowcount == 1:
        session.refresh(case)
        return True
    return False
