"""The outbox: every outbound side effect is recorded before it is attempted, then delivered.

A use case calls `enqueue()` inside its own transaction, so the side effect exists exactly when
the change that caused it does. After commit, `kick()` delivers what is due in the calling
thread (Bolt runs listeners after the ack, so this never delays Slack's 3-second answer); the
scheduler calls `deliver_due()` on every tick to retry what failed, including after a restart.

Each item is claimed with a guarded UPDATE (state and lease checked in the WHERE clause) before
it is performed, so two threads or two processes never perform the same item.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from slackbot.domain.clock import Clock
from storage.db import writer
from storage.models import OutboxItem

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
#: After this many attempts a transiently failing item is given up as failed.
MAX_ATTEMPTS = 50


class RetryLater(Exception):
    """The side effect cannot happen yet (a dependency is missing, or a transient failure)."""

    def __init__(self, reason: str, after: timedelta | None = None, *, count: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after
        #: Waiting for a dependency (e.g. the root message) is not a failed attempt.
        self.count = count


class PermanentFailure(Exception):
    """The side effect can never succeed as asked; retrying would not help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Perform = Callable[[OutboxItem], dict[str, Any] | None]
OnDone = Callable[[Session, OutboxItem, dict[str, Any]], None]
OnFailed = Callable[[Session, OutboxItem, str], None]


@dataclass(frozen=True)
class Handler:
    """How to perform one kind of side effect, and what to record once it is done or failed."""

    perform: Perform
    on_done: OnDone | None = None
    on_failed: OnFailed | None = None


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: 5 s, 10 s, 20 s, … capped at an hour."""
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


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
    """Record a side effect in the caller's transaction; an existing `dedup_key` is returned."""
    if dedup_key is not None:
        existing = session.exec(select(OutboxItem).where(OutboxItem.dedup_key == dedup_key)).first()
        if existing is not None:
            return existing
    item = OutboxItem(
        kind=kind,
        case_id=case_id,
        dedup_key=dedup_key,
        payload=payload,
        state="pending",
        next_attempt_at=not_before or now,
        created_at=now,
    )
    if dedup_key is None:
        session.add(item)
        session.flush()
        return item
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        # Another transaction enqueued the same key between our read and our insert.
        return session.exec(select(OutboxItem).where(OutboxItem.dedup_key == dedup_key)).one()
    return item


class Outbox:
    """Delivers recorded side effects through the handler registered for their kind."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._handlers: dict[str, Handler] = {}
        self._kick_lock = threading.Lock()

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

    def kick(self) -> None:
        """Deliver what is due now, in this thread; never raises (the scheduler retries)."""
        try:
            self.deliver_due()
        except Exception:
            log.exception("outbox delivery failed; the scheduler will retry")

    def deliver_due(self, limit: int = 200) -> int:
        """Claim and perform due items in order; return how many were performed successfully."""
        delivered = 0
        # Items left pending by this pass (waiting on another) are not retried in the same pass.
        seen: set[int] = set()
        while True:
            now = self.clock.now()
            with Session(self.engine) as session:
                ids = session.exec(
                    select(OutboxItem.id)
                    .where(
                        or_(
                            and_(OutboxItem.state == "pending", OutboxItem.next_attempt_at <= now),
                            and_(OutboxItem.state == "in_flight", OutboxItem.lease_until < now),
                        )
                    )
                    .order_by(OutboxItem.id)
                    .limit(limit)
                ).all()
            ids = [item_id for item_id in ids if item_id not in seen]
            if not ids:
                return delivered
            for item_id in ids:
                seen.add(item_id)
                if self._deliver_one(item_id):
                    delivered += 1
            if len(seen) >= limit:
                return delivered

    def _claim(self, item_id: int) -> OutboxItem | None:
        now = self.clock.now()
        with Session(writer(self.engine), expire_on_commit=False) as session:
            result = session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == item_id)
                .where(
                    or_(
                        and_(OutboxItem.state == "pending", OutboxItem.next_attempt_at <= now),
                        and_(OutboxItem.state == "in_flight", OutboxItem.lease_until < now),
                    )
                )
                .values(state="in_flight", lease_until=now + LEASE)
            )
            session.commit()
            if result.rowcount != 1:
                return None
            return session.get(OutboxItem, item_id)

    def _deliver_one(self, item_id: int) -> bool:
        item = self._claim(item_id)
        if item is None:
            return False
        handler = self._handlers.get(item.kind)
        if handler is None:
            self._finish(item, error=f"no handler for outbox kind {item.kind!r}", retry=None)
            return False
        try:
            result = handler.perform(item) or {}
        except RetryLater as exc:
            after = exc.after if exc.after is not None else backoff(item.attempts + 1)
            self._finish(item, error=exc.reason, retry=after, count=exc.count)
            return False
        except PermanentFailure as exc:
            log.warning("outbox item %s (%s) failed for good: %s", item.id, item.kind, exc.reason)
            self._finish(item, error=exc.reason, retry=None, handler=handler)
            return False
        except Exception as exc:  # transient until proven otherwise
            log.warning("outbox item %s (%s) failed, will retry: %r", item.id, item.kind, exc)
            self._finish(item, error=repr(exc)[:2000], retry=backoff(item.attempts + 1))
            return False
        self._done(item, result, handler)
        return True

    def _done(self, item: OutboxItem, result: dict[str, Any], handler: Handler) -> None:
        now = self.clock.now()
        with Session(writer(self.engine), expire_on_commit=False) as session:
            row = session.get(OutboxItem, item.id)
            row.state = "done"
            row.done_at = now
            row.lease_until = None
            row.attempts += 1
            row.result = result
            row.last_error = None
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
        handler: Handler | None = None,
    ) -> None:
        now = self.clock.now()
        with Session(writer(self.engine), expire_on_commit=False) as session:
            row = session.get(OutboxItem, item.id)
            if count:
                row.attempts += 1
            row.last_error = error[:2000]
            row.lease_until = None
            give_up = retry is None or row.attempts >= MAX_ATTEMPTS
            if give_up:
                row.state = "failed"
                row.done_at = now
                if handler is None:
                    handler = self._handlers.get(row.kind)
                if handler is not None and handler.on_failed is not None:
                    handler.on_failed(session, row, error)
            else:
                row.state = "pending"
                row.next_attempt_at = now + retry
            session.commit()
