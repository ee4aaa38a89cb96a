"""Service-level clocks in storage: keep each case's deadlines current, and sweep the due ones.

`sync_deadlines` runs inside whichever use case changed the case (same transaction). `sweep`
runs on every scheduler tick: it reads the due rows through `ix_deadline_due`, claims each in
the database (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite serialises writers with BEGIN
IMMEDIATE and the claim is a guarded UPDATE as well), and in the same transaction records the
reminder in the outbox and moves the row on. A crash before the commit loses nothing (the row
is still due) and a crash after it repeats nothing (the row has moved on).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from slackbot.domain.cases import CaseStatus, Priority, case_key
from slackbot.domain.clock import ensure_utc
from slackbot.domain.deadlines import (
    CaseClockState,
    DeadlineKind,
    SnoozeChoice,
    compute_deadlines,
    may_snooze,
    next_fire_at,
    overdue_by,
    processing_estimate,
    reminder_audience,
    reminder_due,
    reminder_text,
    repeat_interval,
    snooze_until,
)
from slackbot.domain.deadlines import (
    Deadline as SlaClock,
)
from slackbot.domain.errors import UserFacingError
from slackbot.domain.handoff import Purpose
from slackbot.domain.mrkdwn import escape
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Action, CaseState, IllegalTransition
from slackbot.domain.status_machine import apply as apply_move
from slackbot.render.reminders import build_reminder, build_unreachable_note
from slackbot.usecases import slack_posts
from slackbot.usecases.drafts import request_draft
from slackbot.usecases.hooks import case_changed
from storage.db import is_sqlite, write_session
from storage.models import Case, CaseEvent, Deadline
from storage.repositories import get_case

log = logging.getLogger(__name__)

PENDING, DONE, CLEARED = "pending", "done", "cleared"
#: The actor and channel recorded for the bot's own moves.
SCHEDULER = "scheduler"
#: Rows acted on per transaction; the sweep loops until nothing is due.
BATCH = 100
#: A sweep never loops forever, even if a row refused to move on.
MAX_BATCHES = 1000


# --- keeping the rows current ----------------------------------------------------------------


def clock_state(session: Session, case: Case) -> CaseClockState:
    """What the deadline rules need from a case (and its event log)."""
    status = CaseStatus(case.status)
    contacting_since = None
    if status is CaseStatus.VENDOR_CONTACTING_USER:
        at = session.exec(
            select(CaseEvent.at)
            .where(
                CaseEvent.case_id == case.id,
                CaseEvent.to_status == CaseStatus.VENDOR_CONTACTING_USER.value,
            )
            .order_by(CaseEvent.id.desc())
        ).first()
        contacting_since = ensure_utc(at or case.updated_at)
    callback_done = (
        session.exec(
            select(CaseEvent.id).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == "callback_done"
            )
        ).first()
        is not None
    )
    return CaseClockState(
        status=status,
        opened_at=ensure_utc(case.opened_at),
        priority=Priority(case.priority),
        category=case.category,
        handed_off_at=ensure_utc(case.handed_off_at) if case.handed_off_at else None,
        last_update_at=ensure_utc(case.last_update_at) if case.last_update_at else None,
        vendor_ticket=case.vendor_ticket,
        contacting_since=contacting_since,
        callback_done=callback_done,
        fields=case.fields or {},
    )


def _not_before(playbook: Playbook, row: Deadline) -> datetime | None:
    if row.last_reminded_at is None:
        return None
    return ensure_utc(row.last_reminded_at) + repeat_interval(playbook, DeadlineKind(row.kind))


def _schedule(playbook: Playbook, row: Deadline, clock: SlaClock) -> None:
    snoozed = ensure_utc(row.snoozed_until) if row.snoozed_until else None
    fire = next_fire_at(
        playbook, clock, row.misses, snoozed_until=snoozed, not_before=_not_before(playbook, row)
    )
    row.due_at = fire
    row.state = PENDING if fire is not None else DONE


def sync_deadlines(
    session: Session, case: Case, playbook: Playbook, now: datetime
) -> list[Deadline]:
    """Bring the case's deadline rows in line with its state; call in the changing transaction."""
    clocks = {c.kind.value: c for c in compute_deadlines(clock_state(session, case), playbook, now)}
    rows = {
        row.kind: row for row in session.exec(select(Deadline).where(Deadline.case_id == case.id))
    }
    for kind, clock in clocks.items():
        row = rows.get(kind)
        if row is None:
            row = Deadline(
                case_id=case.id,
                kind=kind,
                anchor_at=clock.anchor,
                expires_at=clock.due_at,
                updated_at=now,
            )
            rows[kind] = row
        elif row.state == CLEARED or ensure_utc(row.anchor_at) != clock.anchor:
            # A fresh clock (e.g. the vendor sent an update): its misses start again.
            row.anchor_at = clock.anchor
            row.misses = 0
            row.last_reminded_at = None
            row.snoozed_until = None
        row.expires_at = clock.due_at
        _schedule(playbook, row, clock)
        row.updated_at = now
        session.add(row)
    for kind, row in rows.items():
        if kind not in clocks and row.state != CLEARED:
            row.state, row.due_at, row.updated_at = CLEARED, None, now
            session.add(row)
    session.flush()
    return list(rows.values())


def announce_processing_window(
    session: Session, case: Case, playbook: Playbook, now: datetime
) -> None:
    """Tell the thread how long the receiving side usually takes ("estimated 2–3 business days")."""
    estimate = processing_estimate(playbook, clock_state(session, case))
    if estimate is None:
        return
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=f":hourglass: Processing time: {estimate} ({escape(playbook.receiver.name)}).",
        dedup_key=f"processing-estimate:{case.id}",
    )


# --- the sweep -------------------------------------------------------------------------------


def default_worker() -> str:
    """Who claims rows: host, process and thread (two bots on one database differ)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{threading.get_ident() % 100000}"


def _due_ids(session: Session, now: datetime, limit: int) -> Sequence[int]:
    """Ids of pending deadlines due at `now`, oldest first, read through `ix_deadline_due`."""
    return session.exec(
        select(Deadline.id)
        .where(Deadline.state == PENDING, Deadline.due_at <= now)
        .order_by(Deadline.due_at, Deadline.id)
        .limit(limit)
    ).all()


def _claim(session: Session, deadline_id: int, worker: str, now: datetime) -> Deadline | None:
    """Claim one due row in this transaction, or None if another sweeper has it or acted on it.

    PostgreSQL: `FOR UPDATE SKIP LOCKED` (a row another sweeper holds is skipped, and the WHERE
    clause is re-checked against the newest version). SQLite: transactions are serialised by
    BEGIN IMMEDIATE, and the guarded UPDATE only matches a row that is still pending and due.
    """
    due = (Deadline.id == deadline_id, Deadline.state == PENDING, Deadline.due_at <= now)
    if not is_sqlite(session.get_bind()):
        row = session.exec(select(Deadline).where(*due).with_for_update(skip_locked=True)).first()
        if row is None:
            return None
    result = session.execute(
        update(Deadline)
        .where(*due)
        .values(claimed_by=worker, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    row = session.get(Deadline, deadline_id)
    session.refresh(row)
    return row


def _lock_case(session: Session, case_id: int) -> Case | None:
    """The case, locked; None on PostgreSQL when another transaction holds it (try next sweep).

    Never waiting for a case lock while holding a deadline lock is what keeps two sweepers and
    the use cases (which lock the case first, then its deadlines) free of deadlocks.
    """
    statement = select(Case).where(Case.id == case_id)
    if not is_sqlite(session.get_bind()):
        statement = statement.with_for_update(skip_locked=True)
    return session.exec(statement).first()


def sweep(services, *, worker: str | None = None, batch: int = BATCH) -> int:
    """Act on every due deadline once; return how many were acted on (reminders and closes).

    Each row is claimed and acted on in its own short transaction, so a sweeper holds at most
    one deadline and one case at a time, and a crash loses or repeats nothing.
    """
    worker = worker or default_worker()
    acted = 0
    seen: set[int] = set()
    for _ in range(MAX_BATCHES):
        now = services.clock.now()
        with Session(services.engine) as session:
            ids = [i for i in _due_ids(session, now, batch) if i not in seen]
        if not ids:
            break
        for deadline_id in ids:
            seen.add(deadline_id)
            with write_session(services.engine) as session:
                row = _claim(session, deadline_id, worker, now)
                if row is None:
                    continue
                if _act(session, services, row, now):
                    acted += 1
    if acted:
        services.outbox.kick()
    return acted


def _act(session: Session, services, row: Deadline, now: datetime) -> bool:
    case = _lock_case(session, row.case_id)
    if case is None and session.get(Case, row.case_id) is not None:
        session.rollback()  # someone is changing the case: leave the row due for the next sweep
        return False
    playbook = services.playbooks.get(case.playbook_id) if case else None
    if case is None or playbook is None:
        row.state, row.due_at, row.updated_at = CLEARED, None, now
        session.add(row)
        return False
    # The case may have changed without a sync (or the playbook was edited): recompute first.
    sync_deadlines(session, case, playbook, now)
    session.refresh(row)
    if row.state != PENDING or row.due_at is None or ensure_utc(row.due_at) > now:
        return False
    clocks = {c.kind.value: c for c in compute_deadlines(clock_state(session, case), playbook, now)}
    clock = clocks[row.kind]
    if clock.kind is DeadlineKind.UNREACHABLE_CLOSE:
        closed = close_unreachable(session, case, playbook, now)
        if closed:
            case_changed(services, session, case, now)
        row.misses, row.last_reminded_at = 1, now
        row.state, row.due_at, row.updated_at = DONE, None, now
        session.add(row)
        sync_deadlines(session, case, playbook, now)
        return closed
    _remind(session, case, playbook, row, clock, now)
    return True


def _remind(
    session: Session, case: Case, playbook: Playbook, row: Deadline, clock: SlaClock, now: datetime
) -> None:
    miss = row.misses + 1
    this_due = reminder_due(playbook, clock, row.misses) or clock.due_at
    since = this_due if clock.kind is DeadlineKind.CONTACT_ATTEMPT else clock.due_at
    audience = reminder_audience(playbook, owner_id=case.owner_id, tier=case.tier, miss=miss)
    text = reminder_text(clock.kind, due_at=since, now=now, miss=row.misses)
    mentions = " ".join(audience.mentions)
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=f"{mentions} {text}".strip(),
        blocks_=build_reminder(
            text=text,
            mentions=audience.mentions,
            escalated=audience.escalated,
            leadership=audience.leadership,
            deadline_id=row.id,
            case_id=case.id,
            with_vendor=CaseStatus(case.status) not in (CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED),
            callback=clock.kind is DeadlineKind.CALLBACK,
        ),
        dedup_key=f"deadline:{row.id}:{ensure_utc(row.anchor_at).isoformat()}:{miss}",
    )
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor=SCHEDULER,
            kind="reminder",
            via=SCHEDULER,
            detail={
                "deadline": row.kind,
                "miss": miss,
                "overdue": overdue_by(since, now),
                "escalated": audience.escalated,
            },
        )
    )
    row.misses, row.last_reminded_at, row.snoozed_until = miss, now, None
    _schedule(playbook, row, clock)
    row.updated_at = now
    session.add(row)


def close_unreachable(session: Session, case: Case, playbook: Playbook, now: datetime) -> bool:
    """The 72-hour rule: close the case as unreachable, ask our agent to help, say how to reopen.

    The move goes through the status machine like any other; False if it refuses (the case is
    no longer with the vendor), in which case nothing changes.
    """
    before = CaseState(status=CaseStatus(case.status), owner=case.owner_id, tier=case.tier)
    try:
        transition = apply_move(
            before, Action.CLOSE_UNREACHABLE, actor=SCHEDULER, top_tier=playbook.top_tier
        )
    except IllegalTransition:
        return False
    case.status = transition.after.status.value
    case.closed_at = now
    case.updated_at = now
    case.version += 1
    session.add(case)
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor=SCHEDULER,
            kind="status_changed",
            via=SCHEDULER,
            from_status=before.status.value,
            to_status=case.status,
            detail={
                "action": Action.CLOSE_UNREACHABLE.value,
                "rule": "unreachable_close",
                "after": playbook.sla.unreachable_close,
            },
        )
    )
    audience = reminder_audience(playbook, owner_id=case.owner_id, tier=case.tier, miss=1)
    text, blocks_ = build_unreachable_note(
        mentions=audience.mentions,
        after=playbook.sla.unreachable_close,
        vendor=playbook.receiver.name,
    )
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=text,
        blocks_=blocks_,
        dedup_key=f"unreachable-close:{case.id}:{case.version}",
    )
    return True


# --- actions from the reminder's buttons -----------------------------------------------------


class ReminderError(UserFacingError):
    """A button press that cannot be honoured; the message says why, to the presser."""


@dataclass(frozen=True)
class Overdue:
    """One overdue clock of an open case, for `/escalate overdue`."""

    case: Case
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
    services, *, deadline_id: int, user_id: str, choice: SnoozeChoice, channel: str | None
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
        session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                actor=user_id,
                kind="snoozed",
                via="button",
                detail={"deadline": row.kind, "choice": choice.value, "until": until.isoformat()},
            )
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
    """Expired clocks of open cases, oldest first."""
    statement = (
        select(Deadline, Case)
        .join(Case, Case.id == Deadline.case_id)
        .where(Deadline.state != CLEARED, Deadline.expires_at <= now)
        .where(Case.status.not_in((CaseStatus.RESOLVED.value, CaseStatus.CLOSED_UNREACHABLE.value)))
        .order_by(Deadline.expires_at, Deadline.id)
        .limit(limit)
    )
    return [
        Overdue(case, DeadlineKind(row.kind), ensure_utc(row.expires_at), row.misses)
        for row, case in session.exec(statement).all()
    ]


def overdue_items(services, now: datetime, *, limit: int = 50) -> list[Overdue]:
    """Expired clocks of open cases, oldest first, in a read transaction of their own."""
    with Session(services.engine) as session:
        return overdue(session, now, limit=limit)


def describe_case(case: Case) -> str:
    """ "ESC-42 · summary", escaped."""
    return f"{case_key(case.id)} · {escape(case.summary)}"


def ask_vendor_for_update(services, *, case_id: int, user_id: str, channel: str | None) -> bool:
    """Draft a request for an update, replying on the vendor's email thread; True if drafted.

    It goes through the hand-off flow: the draft is shown in the thread and leaves only when
    someone presses Send.
    """
    return _draft(
        services,
        case_id=case_id,
        user_id=user_id,
        channel=channel,
        purpose=Purpose.UPDATE_REQUEST,
        kind="update_requested",
    )


def suggest_leadership(services, *, case_id: int, user_id: str, channel: str | None) -> bool:
    """Draft an escalation to the vendor's leadership contacts (citing their ticket and the
    case history); without contacts, tell the presser whom to ask instead. True if drafted."""
    return _draft(
        services,
        case_id=case_id,
        user_id=user_id,
        channel=channel,
        purpose=Purpose.LEADERSHIP,
        kind="leadership_requested",
    )


def _draft(services, *, case_id: int, user_id: str, channel: str | None, purpose, kind) -> bool:
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id)
        playbook = services.playbooks.get(case.playbook_id) if case else None
        if case is None or playbook is None:
            raise ReminderError("This case no longer exists.")
        contacts = purpose is not Purpose.LEADERSHIP or bool(playbook.leadership_contacts)
        drafted = bool(playbook.receiver.email) and contacts
        if drafted:
            request_draft(session, case_id=case.id, purpose=purpose, user_id=user_id, now=now)
        else:
            missing = (
                "no vendor leadership contacts"
                if not contacts
                else f"no email address for {escape(playbook.receiver.name)}"
            )
            slack_posts.post_ephemeral(
                session,
                user=user_id,
                channel=channel,
                case_id=case.id,
                now=now,
                text=f"Playbook `{playbook.id}` has {missing}: ask your team lead, "
                "or see `/escalate contacts`.",
            )
        session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                actor=user_id,
                kind=kind,
                via="button",
                detail={"drafted": drafted},
            )
        )
    services.outbox.kick()
    return drafted


def record_callback_done(services, *, case_id: int, user_id: str) -> None:
    """The promised call-back happened: log it, which stops the call-back clock."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id, lock=True)
        playbook = services.playbooks.get(case.playbook_id) if case else None
        if case is None or playbook is None:
            raise ReminderError("This case no longer exists.")
        session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                actor=user_id,
                kind="callback_done",
                via="button",
                detail={},
            )
        )
        session.flush()
        sync_deadlines(session, case, playbook, now)
        slack_posts.post_in_thread(
            session,
            case_id=case.id,
            now=now,
            text=f"<@{user_id}> confirmed the call-back to the requester.",
        )
    services.outbox.kick()


def sync_on_change(services, session: Session, case: Case, now: datetime) -> None:
    """Case hook: keep the case's deadlines in step with it, whichever use case changed it."""
    playbook = services.playbooks.get(case.playbook_id)
    if playbook is not None:
        sync_deadlines(session, case, playbook, now)
