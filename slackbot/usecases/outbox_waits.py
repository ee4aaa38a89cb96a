"""Outbox items that wait on another item of their case (RetryLater with count=False: a thread
reply waiting for its root message), and their release as soon as that item is done.

A waiting item is pending with `last_error` starting with `WAITING`. Items of a case only ever
wait on earlier items of the same case (the root message is queued before anything in its
thread), which is what `waiting_on_nothing` checks.

Only some items can be waited on (`may_be_waited_on`): a waiter finds what it waits for by its
dedup key (a preview, a report's summary) or by what its done recorded (the root message's ts,
recorded by the root post, `root-post:<case>`), and an ephemeral leaves nothing to find. A move's
root refresh, its note and the opener's DM are none of these, so their done releases nothing
and costs no query (issue 16); `waiting_on_nothing` looks only at items that can be waited on,
which keeps its argument below true.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from slackbot.domain.vocabulary import OutboxKind, OutboxState
from storage.db import writer
from storage.models import OutboxItem

log = logging.getLogger(__name__)

#: `last_error` of an item waiting on another item of its case.
WAITING = "waiting: "


def may_be_waited_on(item: OutboxItem) -> bool:
    """Whether another item of its case can be waiting for `item` (see the module docstring)."""
    return (
        item.case_id is not None
        and item.dedup_key is not None
        and item.kind != OutboxKind.SLACK_EPHEMERAL
    )


def _can_be_waited_on():
    """`may_be_waited_on` as a WHERE clause."""
    return and_(OutboxItem.dedup_key.is_not(None), OutboxItem.kind != OutboxKind.SLACK_EPHEMERAL)


def release_waiters(engine: Engine, item: OutboxItem, now: datetime) -> list[int]:
    """Make the items of `item`'s case that wait due now (it may be what they waited for);
    their ids. Called in a transaction after the one that marked `item` done; no query when
    nothing can be waiting for `item`."""
    if not may_be_waited_on(item):
        return []
    try:
        with Session(writer(engine)) as session:
            waiting = list(
                session.exec(
                    select(OutboxItem.id).where(
                        OutboxItem.case_id == item.case_id,
                        OutboxItem.state == OutboxState.PENDING,
                        OutboxItem.last_error.startswith(WAITING),
                    )
                ).all()
            )
            if waiting:
                session.execute(
                    update(OutboxItem)
                    .where(OutboxItem.id.in_(waiting), OutboxItem.state == OutboxState.PENDING)
                    .values(next_attempt_at=now)
                )
                session.commit()
    except Exception as exc:  # they go out at the next tick instead
        log.warning("could not release the items waiting on outbox item %s: %r", item.id, exc)
        return []
    return waiting


def waiting_on_nothing(engine: Engine, item: OutboxItem, now: datetime) -> bool:
    """After `item` was marked waiting: if nothing earlier of its case is unfinished, what it
    waits for was done meanwhile and its release missed it; make it due now (True).

    The done side commits, then releases; the waiting side commits the wait, then checks. One of
    the two always sees the other, so no waiter is left for the next tick. Both sides look only
    at items that can be waited on: an earlier item that cannot releases nobody when done, so it
    must not count as blocking here either.
    """
    if item.case_id is None:
        return False
    with Session(writer(engine)) as session:
        blocking = session.exec(
            select(OutboxItem.id)
            .where(
                OutboxItem.case_id == item.case_id,
                OutboxItem.id < item.id,
                _can_be_waited_on(),
                or_(
                    OutboxItem.state == OutboxState.IN_FLIGHT,
                    and_(
                        OutboxItem.state == OutboxState.PENDING,
                        or_(
                            OutboxItem.last_error.is_(None),
                            ~OutboxItem.last_error.startswith(WAITING),
                        ),
                    ),
                ),
            )
            .limit(1)
        ).first()
        if blocking is not None:
            return False
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item.id, OutboxItem.state == OutboxState.PENDING)
            .values(next_attempt_at=now)
        )
        session.commit()
    return True
