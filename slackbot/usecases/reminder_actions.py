"""What people do from a reminder: snooze it, ask the vendor for an update, go to their
leadership, confirm the call-back; and `/escalate overdue`, the expired clocks oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from slackbot.domain.cases import case_key
from slackbot.domain.clock import ensure_utc
from slackbot.domain.deadlines import DeadlineKind, SnoozeChoice, may_snooze, snooze_until
from slackbot.domain.errors import UserFacingError
from slackbot.domain.handoff import Purpose
from slackbot.domain.mrkdwn import escape
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Via
from slackbot.domain.vocabulary import EventKind
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import Actor, Outcome, Result, guard_case
from slackbot.usecases.deadlines import sync_deadlines
from slackbot.usecases.drafts import request_draft
from slackbot.usecases.events import record_event
from storage.db import write_session
from storage.models import Case, CaseListing, Deadline
from storage.repositories import get_case, overdue_listings


class ReminderError(UserFacingError):
    """A button press that cannot be honoured; the message says why, to the presser."""


@dataclass(frozen=True)
class Overdue:
    """One overdue clock of an open case, for `/escalate overdue`."""

    case: CaseListing
    kind: DeadlineKind
    expires_at: datetime
    misses: int


def _load(session: Session, deadline_id: int) -> tuple[Deadline, Case]:
    row = session.get(Deadline, deadline_id)
    case = get_case(session, case_id=row.case_id, lock=True) if row else None
    if row is None or case is None:
        raise ReminderError("This reminder no longer exists.")
    return row, case


def snooze(
    services: Services,
    *,
    deadline_id: int,
    user_id: str,
    choice: SnoozeChoice,
    channel: str | None,
) -> datetime:
    """Snooze a reminder (owner only); recorded in the case's event log."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        row, case = _load(session, deadline_id)
        if not may_snooze(owner_id=case.owner_id, opened_by=case.opened_by, user_id=user_id):
            owner = case.owner_id or case.opened_by
            raise ReminderError(f"Only the case's owner <@{owner}> can snooze its reminders.")
        playbook = services.playbooks.get(case.playbook_id)
        if playbook is None:
            raise ReminderError("This case's escalation path no longer exists.")
        until = snooze_until(playbook, now, choice)
        row.snoozed_until = until
        session.add(row)
        sync_deadlines(session, case, playbook, now)
        record_event(
            session,
            case_id=case.id,
            kind=EventKind.SNOOZED,
            at=now,
            actor=user_id,
            via=Via.BUTTON,
            deadline=row.kind,
            choice=choice.value,
            until=until.isoformat(),
        )
        slack_posts.post_ephemeral(
            session,
            user=user_id,
            channel=channel,
            case_id=case.id,
            now=now,
            text=f"Snoozed: the {DeadlineKind(row.kind).label} reminder waits until "
            f"{until:%Y-%m-%d %H:%M} UTC.",
        )
    services.outbox.kick()
    return until


def overdue(session: Session, now: datetime, *, limit: int = 50) -> list[Overdue]:
    """Expired clocks of open cases: blockers first, then oldest first (the cases as listings:
    the columns the list shows)."""
    return [
        Overdue(case, DeadlineKind(kind), ensure_utc(expires_at), misses)
        for case, kind, expires_at, misses in overdue_listings(session, now, limit=limit)
    ]


def overdue_items(services: Services, now: datetime, *, limit: int = 50) -> list[Overdue]:
    """Expired clocks of open cases, oldest first, in a read transaction of their own."""
    with Session(services.engine) as session:
        return overdue(session, now, limit=limit)


def describe_case(case: Case) -> str:
    """ "ESC-42 · summary", escaped."""
    return f"{case_key(case.id)} · {escape(case.summary)}"


def ask_vendor_for_update(
    services: Services, *, case_id: int, actor: Actor, channel: str | None
) -> Result:
    """Draft a request for an update, replying on the vendor's email thread; APPLIED if drafted.

    It goes through the hand-off flow: the draft is shown in the thread and leaves only when
    someone presses Send.
    """
    return _draft(
        services,
        case_id=case_id,
        actor=actor,
        channel=channel,
        purpose=Purpose.UPDATE_REQUEST,
        kind=EventKind.UPDATE_REQUESTED,
    )


def suggest_leadership(
    services: Services, *, case_id: int, actor: Actor, channel: str | None
) -> Result:
    """Draft an escalation to the vendor's leadership contacts (citing their ticket and the
    case history); without contacts, tell the presser whom to ask instead."""
    return _draft(
        services,
        case_id=case_id,
        actor=actor,
        channel=channel,
        purpose=Purpose.LEADERSHIP,
        kind=EventKind.LEADERSHIP_REQUESTED,
    )


def _why_not_drafted(playbook: Playbook, *, contacts: bool) -> str:
    missing = (
        "no vendor leadership contacts"
        if not contacts
        else f"no email address for {escape(playbook.receiver.name)}"
    )
    return (
        f"Playbook `{playbook.id}` has {missing}: ask your team lead, or see `/escalate contacts`."
    )


def _guarded(
    session: Session,
    services: Services,
    case_id: int,
    actor: Actor,
    *,
    what: str,
    now: datetime,
    channel: str | None,
) -> tuple[Case, Playbook, Result | None]:
    """The case and playbook, and the refusal if `actor` may not act on the case (see guard_case)."""
    case = get_case(session, case_id=case_id, lock=True)
    playbook = services.playbooks.get(case.playbook_id) if case else None
    if case is None or playbook is None:
        raise ReminderError("This case no longer exists.")
    refused = guard_case(
        session, case, playbook, actor, via=Via.BUTTON, what=what, now=now, reply_to=channel
    )
    if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
        session.rollback()  # the edge fetches the members and asks again
    return case, playbook, refused


def _draft(
    services: Services,
    *,
    case_id: int,
    actor: Actor,
    channel: str | None,
    purpose: Purpose,
    kind: EventKind,
) -> Result:
    now = services.clock.now()
    with write_session(services.engine) as session:
        case, playbook, refused = _guarded(
            session,
            services,
            case_id,
            actor,
            what=f"draft {purpose.label} email",
            now=now,
            channel=channel,
        )
        drafted = False
        if refused is None:
            drafted = _request_or_explain(session, case, playbook, actor, channel, purpose, now)
            record_event(
                session,
                case_id=case.id,
                kind=kind,
                at=now,
                actor=actor.user_id,
                via=Via.BUTTON,
                drafted=drafted,
            )
    services.outbox.kick()
    if refused is not None:
        return refused
    return Result(Outcome.APPLIED if drafted else Outcome.REFUSED, case_id=case_id)


def _request_or_explain(
    session: Session,
    case: Case,
    playbook: Playbook,
    actor: Actor,
    channel: str | None,
    purpose: Purpose,
    now: datetime,
) -> bool:
    """Queue the draft, or tell the presser why it can't be drafted; True if queued."""
    user_id = actor.user_id
    contacts = purpose is not Purpose.LEADERSHIP or bool(playbook.leadership_contacts)
    drafted = bool(playbook.receiver.email) and contacts
    if drafted:
        request_draft(
            session,
            case_id=case.id,
            purpose=purpose,
            user_id=user_id,
            sender=case.opened_by,
            now=now,
        )
    else:
        slack_posts.post_ephemeral(
            session,
            user=user_id,
            channel=channel,
            case_id=case.id,
            now=now,
            text=_why_not_drafted(playbook, contacts=contacts),
        )
    return drafted


def record_callback_done(
    services: Services, *, case_id: int, actor: Actor, channel: str | None = None
) -> Result:
    """The promised call-back happened: log it, which stops the call-back clock."""
    now = services.clock.now()
    user_id = actor.user_id
    with write_session(services.engine) as session:
        case, playbook, refused = _guarded(
            session, services, case_id, actor, what="confirm call-back", now=now, channel=channel
        )
        if refused is None:
            _callback_done(session, case, playbook, user_id, now)
    services.outbox.kick()
    return refused or Result(Outcome.APPLIED, case_id=case_id)


def _callback_done(
    session: Session, case: Case, playbook: Playbook, user_id: str, now: datetime
) -> None:
    """Log the call-back, resync the clocks and say so in the thread."""
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.CALLBACK_DONE,
        at=now,
        actor=user_id,
        via=Via.BUTTON,
    )
    session.flush()
    sync_deadlines(session, case, playbook, now)
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=f"<@{user_id}> confirmed the call-back to the requester.",
    )
