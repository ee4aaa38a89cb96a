"""The outbox: every outbound side effect is recorded before it is attempted, then delivered.

A use case calls `enqueue()` inside its own transaction, so the side effect exists exactly when
the change that caused it does. After commit, `kick()` has what is due delivered by the
process's one deliverer thread and returns when that pass has ended (kicks that come in
meanwhile share the next pass: slackbot.usecases.outbox_deliverer); the scheduler calls
`deliver_due()` on every tick to retry what failed, including after a restart. A pass performs
the items of different cases in parallel, on up to `WORKERS` threads, and those of one case
(and those of no case) one at a time in id order (slackbot.usecases.outbox_lanes).

Each item is claimed with a guarded UPDATE … RETURNING (state and lease checked in the WHERE
clause) before it is performed, so two threads or two processes never perform the same item at once. The
lease is short (30 s) and renewed while the item is performed, so work a dead process had in
hand resumes within a minute. What a performer may say:

- it returns: done. Recording that is retried through database errors (with short backoff,
  for a bounded time): the side effect happened and must not be performed again;
- `RetryLater`: it did not happen; try again after a backoff. With `count=False` the item waits
  on another item of its case (a thread reply on its root message) and is released as soon as
  an item of its case that can be waited on is done (`outbox_waits`), not at the next tick;
- `PermanentFailure`: it did not happen and never will;
- any other exception (a timeout, a dropped connection): nobody knows whether it happened. The
  item is retried and marked uncertain, as is an item taken over after its lease ran out:
  `may_have_happened(item)` tells the performer to look before doing it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, insert, literal, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session, select

from slackbot.domain.clock import Clock
from slackbot.domain.privacy import scrub_contacts
from slackbot.domain.vocabulary import OutboxState
from slackbot.effects import PermanentFailure, RetryLater, backoff
from slackbot.usecases import turns
from slackbot.usecases.leases import Renewer
from slackbot.usecases.outbox_deliverer import Deliverer
from slackbot.usecases.outbox_lanes import Lanes, Pass, on_lane_thread
from slackbot.usecases.outbox_waits import WAITING, release_waiters, waiting_on_nothing
from storage.db import writer
from storage.models import OutboxItem
from storage.repositories import postgresql_insert, sqlite_insert

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
#: Wall-clock seconds between renewals of the leases of items being performed: three per lease.
RENEW_EVERY = 10.0
#: After this many attempts a transiently failing item is given up as failed.
MAX_ATTEMPTS = 50
#: How long recording a performed item as done is retried while the database does not answer.
DONE_RETRY_SECONDS = 120.0
#: In `result` of an unfinished item: an earlier attempt may have taken effect.
UNCERTAIN = "uncertain"
#: Within one delivery pass an item is tried again (released by a done item) at most this often.
TRIES_PER_PASS = 3
#: Items of this many cases are performed at once (1: one at a time, in id order, on the
#: thread that delivers, as before issue 16).
WORKERS = 4


Perform = Callable[[OutboxItem], dict[str, Any] | None]
OnDone = Callable[[Session, OutboxItem, dict[str, Any]], None]
OnFailed = Callable[[Session, OutboxItem, str], None]


@dataclass(frozen=True)
class Handler:
    """How to perform one kind of side effect, and what to record once it is done or failed."""

    perform: Perform
    on_done: OnDone | None = None
    on_failed: OnFailed | None = None


@dataclass
class _Attempt:
    """What one attempt came to: performed or not, and which items may go again now."""

    performed: bool = False
    again: list[int] = field(default_factory=list)


def may_have_happened(item: OutboxItem) -> bool:
    """Whether an earlier attempt at `item` may have taken effect: look before doing it again."""
    return bool((item.result or {}).get(UNCERTAIN))


def is_database_error(exc: BaseException) -> bool:
    """Whether `exc` says the database did not answer (as opposed to refusing what we asked)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def through_database_errors(fn: Callable[[], Any], *, seconds: float, what: str = "a write") -> Any:
    """Call `fn` until the database takes it: database errors are retried with short backoff
    (50 ms doubling to 1 s) for `seconds`, then raised; any other error at once."""
    give_up_at = time.monotonic() + seconds
    pause = 0.05
    while True:
        try:
            return fn()
        except Exception as exc:
            if not is_database_error(exc) or time.monotonic() >= give_up_at:
                raise
            log.warning(
                "%s; the database did not take that (%s): trying again in %.2f s",
                what,
                type(exc).__name__,
                pause,
            )
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


_enqueues = 0
_enqueues_lock = threading.Lock()


def enqueues() -> int:
    """How many items this process has enqueued so far (committed or not): a delivery pass
    that saw every due item polls again only when this moved meanwhile."""
    return _enqueues


def _count_enqueue() -> None:
    global _enqueues
    with _enqueues_lock:
        _enqueues += 1


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    case_id: int | None = None,
    dedup_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxItem:
    """Record a side effect in the caller's transaction; an existing `dedup_key` is returned.

    A keyed item is one INSERT … ON CONFLICT DO NOTHING (SQLite ≥ 3.35 and PostgreSQL): a key
    recorded already, or being recorded by a concurrent transaction (which it waits for), is
    read back only then."""
    _count_enqueue()
    values: dict[str, Any] = {
        "kind": kind,
        "case_id": case_id,
        "dedup_key": dedup_key,
        "payload": payload,
        "state": "pending",
        "next_attempt_at": not_before or now,
        "created_at": now,
    }
    if dedup_key is None:
        item = OutboxItem(**values)
        session.add(item)
        session.flush()
        return item
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return _enqueue_keyed(session, values)
    dialect_insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    inserted = session.scalars(
        dialect_insert(OutboxItem)
        .values(attempts=0, result={}, **values)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(OutboxItem)
    ).first()
    if inserted is not None:
        return inserted
    return session.exec(select(OutboxItem).where(OutboxItem.dedup_key == dedup_key)).one()


def enqueue_unless_waiting(
    session: Session, *, kind: str, payload: dict[str, Any], now: datetime, case_id: int
) -> None:
    """Record a side effect unless one of `kind` for the case is pending already: one INSERT …
    SELECT … WHERE NOT EXISTS. The pending one, if any, is locked until this transaction ends
    (PostgreSQL: FOR UPDATE in the sub-select; SQLite's writers are serial already), so it is
    not claimed before this change commits."""
    _count_enqueue()
    table = OutboxItem.__table__
    waiting = (
        select(OutboxItem.id)
        .where(
            OutboxItem.kind == kind,
            OutboxItem.case_id == case_id,
            OutboxItem.state == OutboxState.PENDING,
        )
        .with_for_update()
    )
    row = {
        "kind": kind,
        "case_id": case_id,
        "payload": payload,
        "state": OutboxState.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "result": {},
        "created_at": now,
    }
    columns = [literal(value, type_=table.c[name].type) for name, value in row.items()]
    session.execute(
        insert(OutboxItem).from_select(list(row), select(*columns).where(~exists(waiting)))
    )


def _enqueue_keyed(session: Session, values: dict[str, Any]) -> OutboxItem:
    """SELECT, then INSERT in a savepoint (databases without ON CONFLICT)."""
    key = values["dedup_key"]
    existing = session.exec(select(OutboxItem).where(OutboxItem.dedup_key == key)).first()
    if existing is not None:
        return existing
    item = OutboxItem(**values)
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        # Another transaction enqueued the same key between our read and our insert.
        return session.exec(select(OutboxItem).where(OutboxItem.dedup_key == key)).one()
    return item


def _due(now: datetime):
    """Pending and due, or in flight with a lease that ran out."""
    return or_(
        and_(OutboxItem.state == OutboxState.PENDING, OutboxItem.next_attempt_at <= now),
        _lease_ran_out(now),
    )


def _lease_ran_out(now: datetime):
    return and_(OutboxItem.state == OutboxState.IN_FLIGHT, OutboxItem.lease_until < now)


class Outbox:
    """Delivers recorded side effects through the handler registered for their kind."""

    def __init__(self, engine: Engine, clock: Clock, *, workers: int | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self._handlers: dict[str, Handler] = {}
        self._stopping = threading.Event()
        self._leases = Renewer(self._renew, every=RENEW_EVERY, name="outbox-leases")
        self._deliverer = Deliverer(self.deliver_due, self._stopping)
        self._lanes = Lanes(
            self._deliver_one, self._stopping, workers=WORKERS if workers is None else workers
        )

    def register(
        self,
        kind: str,
        perform: Perform,
        *,
        on_done: OnDone | None = None,
        on_failed: OnFailed | None = None,
    ) -> None:
        """Say how items of `kind` are performed."""
        self._handlers[kind] = Handler(perform, on_done, on_failed)

    def stop(self) -> None:
        """Claim nothing more (shutdown): the items being performed finish, the rest waits."""
        self._stopping.set()
        self._lanes.stop()
        self._deliverer.wake()

    def close(self, timeout: float | None = None) -> bool:
        """After stop: wait (up to `timeout`) until the items being performed have finished,
        then end the lease renewer's thread (it would end by itself within RENEW_EVERY; an
        in-process run such as the demo waits less). False if some were still being performed:
        their leases stay, for another replica or the next start."""
        finished = self._lanes.drain(timeout)
        if finished:
            self._leases.stop()
        return finished

    def kick(self) -> None:
        """The caller committed: have what is due delivered now (by the process's deliverer,
        waiting for its pass); never raises (the scheduler retries).

        In a listener, its Slack request is first marked done where a replay would not be safe
        (see slackbot.usecases.turns), so a crash while posting never replays it.
        """
        turns.committed()
        self._lanes.announce()  # a pass waiting on a slow item selects what this enqueued
        if on_lane_thread():
            return  # a performer's commit: the pass waiting for its item selects again
        try:
            self._deliverer.kick()
        except Exception:
            log.exception("outbox delivery failed; the scheduler will retry")

    def deliver_due(self, limit: int = 200) -> int:
        """Claim and perform due items: different cases in parallel, one case (and the items of
        no case) in id order; return how many were performed successfully. Returns once every
        item it selected was tried (by this pass or another of the process)."""
        if self._lanes.workers <= 1:
            return self._deliver_serially(limit)
        delivery = Pass(limit, TRIES_PER_PASS)
        while not self._stopping.is_set():
            news = self._lanes.news()
            now = self.clock.now()
            with Session(self.engine) as session:
                rows = session.exec(
                    select(OutboxItem.id, OutboxItem.case_id)
                    .where(_due(now))
                    .order_by(OutboxItem.id)
                    .limit(limit)
                ).all()
            if not self._lanes.hand_in(delivery, rows) or not self._lanes.wait(delivery, news):
                break
        if delivery.error is not None:
            raise delivery.error
        return delivery.delivered

    def _deliver_serially(self, limit: int) -> int:
        """WORKERS = 1: claim and perform due items one by one, in id order, on this thread."""
        delivered = 0
        # An item tried in this pass is not tried again in it, unless a done item released it.
        seen: set[int] = set()
        tries: Counter[int] = Counter()
        while not self._stopping.is_set():
            now = self.clock.now()
            enqueued = enqueues()
            with Session(self.engine) as session:
                ids = session.exec(
                    select(OutboxItem.id).where(_due(now)).order_by(OutboxItem.id).limit(limit)
                ).all()
            # Every due item was in this batch: poll again only if one may have been added
            # (enqueued in this process since, or released by a done item), not to find none.
            complete = len(ids) < limit
            ids = [item_id for item_id in ids if item_id not in seen]
            if not ids:
                return delivered
            released = False
            for item_id in ids:
                if self._stopping.is_set():
                    return delivered
                seen.add(item_id)
                tries[item_id] += 1
                with self._lanes.performing_here():
                    attempt = self._deliver_one(item_id)
                delivered += attempt.performed
                again = [i for i in attempt.again if tries[i] < TRIES_PER_PASS]
                released = released or bool(again)
                seen.difference_update(again)
            if len(seen) >= limit or (complete and not released and enqueues() == enqueued):
                return delivered
        return delivered

    def _claim(self, item_id: int) -> OutboxItem | None:
        """Take the item for performing: one guarded UPDATE … RETURNING when it is pending and
        due (the usual case), a second one when it is in flight with a lease that ran out."""
        now = self.clock.now()
        with Session(writer(self.engine), expire_on_commit=False) as session:
            item = session.scalars(
                update(OutboxItem)
                .where(
                    OutboxItem.id == item_id,
                    OutboxItem.state == OutboxState.PENDING,
                    OutboxItem.next_attempt_at <= now,
                )
                .values(state=OutboxState.IN_FLIGHT, lease_until=now + LEASE)
                .returning(OutboxItem)
            ).first()
            taken_over = None
            if item is None:
                taken_over = item = session.scalars(
                    update(OutboxItem)
                    .where(OutboxItem.id == item_id, _lease_ran_out(now))
                    .values(lease_until=now + LEASE, result={UNCERTAIN: True})
                    .returning(OutboxItem)
                ).first()
            session.commit()
        if taken_over is not None:
            log.warning(
                "outbox item %s (%s): its lease ran out; taking it over", item_id, item.kind
            )
        return item

    def _renew(self, item_ids: list[int]) -> None:
        now = self.clock.now()
        with Session(writer(self.engine)) as session:
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(item_ids), OutboxItem.state == OutboxState.IN_FLIGHT)
                .values(lease_until=now + LEASE)
            )
            session.commit()

    def _deliver_one(self, item_id: int) -> _Attempt:
        item = self._claim(item_id)
        if item is None:
            return _Attempt()
        handler = self._handlers.get(item.kind)
        if handler is None:
            self._finish(item, error=f"no handler for outbox kind {item.kind!r}", retry=None)
            return _Attempt()
        with self._leases.holding(item.id):
            try:
                result = handler.perform(item) or {}
            except RetryLater as exc:
                after = exc.after if exc.after is not None else backoff(item.attempts + 1)
                return self._finish(item, error=exc.reason, retry=after, count=exc.count)
            except PermanentFailure as exc:
                log.warning(
                    "outbox item %s (%s) failed for good: %s",
                    item.id,
                    item.kind,
                    scrub_contacts(exc.reason),  # a mail server's reason quotes the address
                )
                return self._finish(item, error=exc.reason, retry=None, handler=handler)
            except Exception as exc:  # transient until proven otherwise, and maybe done
                log.warning("outbox item %s (%s) failed, will retry: %r", item.id, item.kind, exc)
                retry = backoff(item.attempts + 1)
                return self._finish(item, error=repr(exc)[:2000], retry=retry, uncertain=True)
            self._done(item, result, handler)
        return _Attempt(performed=True, again=release_waiters(self.engine, item, self.clock.now()))

    def _done(self, item: OutboxItem, result: dict[str, Any], handler: Handler) -> None:
        """Record that the item was performed; through database errors, never performing again."""
        through_database_errors(
            lambda: self._record_done(item, result, handler),
            seconds=DONE_RETRY_SECONDS,
            what=f"outbox item {item.id} ({item.kind}) was performed",
        )

    def _record_done(self, item: OutboxItem, result: dict[str, Any], handler: Handler) -> None:
        now = self.clock.now()
        with Session(writer(self.engine), expire_on_commit=False) as session:
            row = session.scalars(
                update(OutboxItem)
                .where(OutboxItem.id == item.id, OutboxItem.state != OutboxState.DONE)
                .values(
                    state=OutboxState.DONE,
                    done_at=now,
                    lease_until=None,
                    attempts=OutboxItem.attempts + 1,
                    result=result,
                    last_error=None,
                )
                .returning(OutboxItem)
            ).first()
            if row is None:
                log.warning("outbox item %s (%s) was done already", item.id, item.kind)
                return
            if handler.on_done is not None:
                handler.on_done(session, row, result)
            session.commit()

    def _finish(
        self,
        item: OutboxItem,
        *,
        error: str,
        retry: timedelta | None,
        count: bool = True,
        uncertain: bool = False,
        handler: Handler | None = None,
    ) -> _Attempt:
        now = self.clock.now()
        with Session(writer(self.engine), expire_on_commit=False) as session:
            row = session.get(OutboxItem, item.id)
            if count:
                row.attempts += 1
            row.last_error = (error if count else WAITING + error)[:2000]
            row.lease_until = None
            if uncertain:
                row.result = {**(row.result or {}), UNCERTAIN: True}
            give_up = retry is None or row.attempts >= MAX_ATTEMPTS
            if give_up:
                row.state = OutboxState.FAILED
                row.done_at = now
                if handler is None:
                    handler = self._handlers.get(row.kind)
                if handler is not None and handler.on_failed is not None:
                    handler.on_failed(session, row, error)
            else:
                row.state = OutboxState.PENDING
                row.next_attempt_at = now + retry
            session.commit()
        if not count and not give_up and waiting_on_nothing(self.engine, item, now):
            return _Attempt(again=[item.id])
        return _Attempt()
