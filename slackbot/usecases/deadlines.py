"""Service-level clocks in storage: keep each case's deadlines current, and sweep the due ones.

`sync_deadlines` runs inside whichever use case changed the case (same transaction). `sweep`
runs on every scheduler tick: it reads the due rows through `ix_deadline_due`, claims each in
the database (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite serialises writers with BEGIN
IMMEDIATE and the claim is a guarded UPDATE as well), and in the same transaction records the
reminder in the outbox and moves the row on. A crash before the commit loses nothing (the row
is still due) and a crash after it repeats nothing (the row has moved on). The 72-hour close
is `unreachable`; what people do from a reminder is `reminder_actions`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, insert, literal, update
from sqlmodel import Session, select

from slackbot.domain.cases import CaseStatus, Priority
from slackbot.domain.clock import ensure_utc
from slackbot.domain.deadlines import (
    CaseClockState,
    DeadlineKind,
    compute_deadlines,
    next_fire_at,
    overdue_by,
    processing_estimate,
    reminder_audience,
    reminder_due,
    reminder_text,
    repeat_interval,
)
from slackbot.domain.deadlines import (
    Deadline as SlaClock,
)
from slackbot.domain.mrkdwn import escape
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Via
from slackbot.domain.vocabulary import SCHEDULER_ACTOR, DeadlineState, EventKind
from slackbot.render.reminders import build_reminder
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.events import record_event
from slackbot.usecases.unreachable import close_unreachable
from storage.db import is_sqlite, write_session
from storage.models import Case, CaseEvent, Deadline

log = logging.getLogger(__name__)

#: Rows acted on per transaction; the sweep loops until nothing is due.
BATCH = 100
#: A sweep never loops forever, even if a row refused to move on.
MAX_BATCHES = 1000
#: Statuses in which asking the vendor for an update makes no sense: the move is ours.
OURS_TO_ANSWER = (CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED, CaseStatus.VENDOR_NEEDS_INFO)


# --- keeping the rows current ----------------------------------------------------------------


def _callback_done(case_id: int):
    """Whether the case's event log has a done callback, as a SQL expression."""
    return exists().where(CaseEvent.case_id == case_id, CaseEvent.kind == EventKind.CALLBACK_DONE)


def clock_state(
    session: Session, case: Case, *, callback_done: bool | None = None
) -> CaseClockState:
    """What the deadline rules need from a case (and its event log; `callback_done` when the
    caller read it already)."""
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
    if callback_done is None:
        callback_done = bool(session.exec(select(_callback_done(case.id))).one())
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
        needs_info_since=_utc_or_none(case.needs_info_since),
        needs_info_answered_at=_utc_or_none(case.needs_info_answered_at),
        callout_at=_utc_or_none(case.callout_at),
        callout_requested_at=_utc_or_none(case.callout_requested_at),
        callout_confirmed=case.callout_confirmed_at is not None,
    )


def _utc_or_none(value: datetime | None) -> datetime | None:
    return ensure_utc(value) if value is not None else None


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
    row.state = DeadlineState.PENDING if fire is not None else DeadlineState.DONE


def sync_deadlines(
    session: Session, case: Case, playbook: Playbook, now: datetime
) -> list[Deadline]:
    """Bring the case's deadline rows in line with its state; call in the changing transaction.

    The rows and the one fact the rules need from the event log come in one SELECT (a one-row
    anchor LEFT JOIN the rows, so a case without rows still answers)."""
    anchor = select(literal(1).label("one")).subquery()
    found = session.exec(
        select(Deadline, _callback_done(case.id).label("callback_done"))
        .select_from(anchor)
        .outerjoin(Deadline, Deadline.case_id == case.id)
    ).all()
    rows = {row.kind: row for row, _ in found if row is not None}
    state = clock_state(session, case, callback_done=bool(found[0][1]))
    clocks = {c.kind.value: c for c in compute_deadlines(state, playbook, now)}
    new: list[Deadline] = []
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
            new.append(row)
        elif row.state == DeadlineState.CLEARED or ensure_utc(row.anchor_at) != clock.anchor:
            # A fresh clock (e.g. the vendor sent an update): its misses start again.
            row.anchor_at = clock.anchor
            row.misses = 0
            row.last_reminded_at = None
            row.snoozed_until = None
        row.expires_at = clock.due_at
        _schedule(playbook, row, clock)
        row.updated_at = now
        if row.id is not None:
            session.add(row)
    for kind, row in rows.items():
        if kind not in clocks and row.state != DeadlineState.CLEARED:
            row.state, row.due_at, row.updated_at = DeadlineState.CLEARED, None, now
            session.add(row)
    session.flush()
    rows.update((row.kind, row) for row in _insert_all(session, new))
    return list(rows.values())


def _insert_all(session: Session, rows: list[Deadline]) -> list[Deadline]:
    """New rows in one INSERT … RETURNING (the unit of work inserts them one by one on SQLite,
    which cannot say in which order RETURNING answers): the stored rows, in this session."""
    if not rows:
        return []
    values = [row.model_dump(exclude={"id"}) for row in rows]
    return list(session.scalars(insert(Deadline).returning(Deadline), values).all())


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
        .where(Deadline.state == DeadlineState.PENDING, Deadline.due_at <= now)
        .order_by(Deadline.due_at, Deadline.id)
        .limit(limit)
    ).all()


def _claim(session: Session, deadline_id: int, worker: str, now: datetime) -> Deadline | None:
    """Claim one due row in this transaction, or None if another sweeper has it or acted on it.

    PostgreSQL: `FOR UPDATE SKIP LOCKED` (a row another sweeper holds is skipped, and the WHERE
    clause is re-checked against the newest version). SQLite: transactions are serialised by
    BEGIN IMMEDIATE, and the guarded UPDATE only matches a row that is still pending and due.
    """
    due = (
        Deadline.id == deadline_id,
        Deadline.state == DeadlineState.PENDING,
        Deadline.due_at <= now,
    )
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


def sweep(services: Services, *, worker: str | None = None, batch: int = BATCH) -> int:
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


def _act(session: Session, services: Services, row: Deadline, now: datetime) -> bool:
    case = _lock_case(session, row.case_id)
    if case is None and session.get(Case, row.case_id) is not None:
        session.rollback()  # someone is changing the case: leave the row due for the next sweep
        return False
    playbook = services.playbooks.get(case.playbook_id) if case else None
    if case is None or playbook is None:
        row.state, row.due_at, row.updated_at = DeadlineState.CLEARED, None, now
        session.add(row)
        return False
    # The case may have changed without a sync (or the playbook was edited): recompute first.
    sync_deadlines(session, case, playbook, now)
    session.refresh(row)
    if row.state != DeadlineState.PENDING or row.due_at is None or ensure_utc(row.due_at) > now:
        return False
    clocks = {c.kind.value: c for c in compute_deadlines(clock_state(session, case), playbook, now)}
    clock = clocks[row.kind]
    if clock.kind is DeadlineKind.UNREACHABLE_CLOSE:
        # The close is a move like any other: it runs the case hooks (these rows included).
        closed = close_unreachable(services, session, case, playbook, now)
        row.misses, row.last_reminded_at = 1, now
        row.state, row.due_at, row.updated_at = DeadlineState.DONE, None, now
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
            with_vendor=CaseStatus(case.status) not in OURS_TO_ANSWER,
            callback=clock.kind is DeadlineKind.CALLBACK,
            our_reply=clock.kind is DeadlineKind.OUR_REPLY,
        ),
        dedup_key=f"deadline:{row.id}:{ensure_utc(row.anchor_at).isoformat()}:{miss}",
    )
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.REMINDER,
        at=now,
        actor=SCHEDULER_ACTOR,
        via=Via.SCHEDULER,
        deadline=row.kind,
        miss=miss,
        overdue=overdue_by(since, now),
        escalated=audience.escalated,
    )
    row.misses, row.last_reminded_at, row.snoozed_until = miss, now, None
    _schedule(playbook, row, clock)
    row.updated_at = now
    session.add(row)


def sync_on_change(services: Services, session: Session, case: Case, now: datetime) -> None:
    """Case hook: keep the case's deadlines in step with it, whichever use case changed it."""
    playbook = services.playbooks.get(case.playbook_id)
    if playbook is not None:
        sync_deadlines(session, case, playbook, now)
