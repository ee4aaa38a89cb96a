"""The inbox: every Slack request that changes state is recorded before Slack gets its answer,
then processed; what was never finished is replayed.

Bolt answers Slack first and works after; the work used to live only in memory until its
transaction committed, so a crash (or a database that was away) lost what Slack had been told
was received, and Slack never sends an acknowledged event again. Now, before the answer:

1. `record()`: one short INSERT of the request (key, kind, body), nothing read. If it fails,
   Slack gets an error instead of an answer and sends the request again (events), or the person
   sees the error and tries again (buttons, forms).
2. The listener runs in a turn (slackbot.usecases.turns): when it, and the work it handed on,
   ended (interactivity and commands: once their change is committed), the row is marked done
   (`finish`) and its body blanked; the lease is renewed while it runs. An event whose listener
   failed (not a refusal) stays pending.
3. `replay_due()` (at start-up and every tick): a pending row whose lease ran out (its process
   died, or it failed) is handed to the app again as the same request, a few times at most.

A replay, or Slack's own redelivery, must change nothing that was applied already: a use case
claims the request's key in its own transaction (`claim`, and for events `claim_event`, the
event-id dedup) and makes no change when the claim says it was applied.

An event's claim is its done mark too (issue 16: one statement instead of two). The event's
row is keyed by its event id, so the claim is one guarded UPDATE of that row that sets
`applied_at` and `done`, in the use case's transaction: the change and "handled" commit
together or not at all. Once it committed, the turn's own done mark is skipped; a replay of the
event would have been a no-op from then on anyway (its claim finds it applied), so marking it
done there, not at the end of the turn, loses nothing. Where there is no such row (a use case
run without a recorded request) or the row was replayed before (`replays` > 0: its first
attempt may have been applied by a version that claimed in `processed_event` only), the claim
goes through `processed_event` as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from slackbot.domain.clock import Clock
from slackbot.usecases import turns
from slackbot.usecases.inbox_records import Recorder
from slackbot.usecases.leases import Renewer
from slackbot.usecases.outbox import through_database_errors
from slackbot.usecases.turns import Turn
from storage.db import writer
from storage.models import InboxRequest, ProcessedEvent
from storage.repositories import postgresql_insert, sqlite_insert

log = logging.getLogger(__name__)

#: Unfinished this long after it was received (or last renewed), a request is replayed.
LEASE = timedelta(seconds=10)
#: Wall-clock seconds between renewals while a request is being handled.
RENEW_EVERY = 3.0
#: A request is replayed at most this often, then given up (logged, kept as `failed`).
MAX_REPLAYS = 3
#: Done and failed requests are kept this long (Slack redelivers for minutes at most).
KEEP = timedelta(days=1)
#: How long marking a request done is retried while the database does not answer.
FINISH_RETRY_SECONDS = 15.0
#: Events that change nothing: not recorded.
READ_ONLY_EVENTS = frozenset({"app_home_opened"})
#: `/escalate` subcommands that change a case (the others only read, or open a modal).
CHANGING_SUBCOMMANDS = frozenset({"move", "ticket", "assign"})

PENDING, DONE, FAILED = "pending", "done", "failed"

#: Replays a stored request through the app: fn(key, body).
Replay = Callable[[str, dict[str, Any]], None]


def _digest(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:40]


def request_key(body: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, key) of a request that changes state; None for one that only reads.

    Events are keyed by Slack's event_id (what its redeliveries share). Interactivity and
    commands by a digest of the whole payload: its trigger_id, action_ts and view id make it
    one interaction's, and a Socket Mode redelivery carries the same payload.
    """
    kind = body.get("type")
    if kind == "event_callback":
        event_type = str((body.get("event") or {}).get("type") or "")
        if event_type in READ_ONLY_EVENTS:
            return None
        return f"event:{event_type}"[:64], str(body.get("event_id") or f"ev:{_digest(body)}")
    if kind in ("block_actions", "view_submission"):
        return kind, f"{kind}:{_digest(body)}"
    if body.get("command") == "/escalate":
        words = str(body.get("text") or "").split()
        if words and words[0].lower() in CHANGING_SUBCOMMANDS:
            return "command", f"command:{_digest(body)}"
    return None


#: Events whose order on one message matters: they are applied one after another per message.
ORDERED_EVENTS = frozenset({"reaction_added", "reaction_removed"})


def order_key(body: dict[str, Any]) -> str | None:
    """The lane of an event that must be applied after the earlier ones on its message (the
    message's channel and ts: reactions name no thread, and nothing may be read before the
    ack); None for everything else, which runs as soon as a worker is free."""
    if body.get("type") != "event_callback":
        return None
    event = body.get("event") or {}
    if event.get("type") not in ORDERED_EVENTS:
        return None
    item = event.get("item") or {}
    channel, ts = item.get("channel"), item.get("ts")
    return f"message:{channel}:{ts}" if channel and ts else None


def claim(session: Session, key: str | None, now) -> bool:
    """In the caller's transaction, record that request `key` was applied; False if it was
    already (a replay or a redelivery: change nothing). Keys never recorded are claimed too."""
    if key is None:
        return True
    claimed = session.execute(
        update(InboxRequest)
        .where(InboxRequest.key == key, InboxRequest.applied_at.is_(None))
        .values(applied_at=now)
    ).rowcount
    if claimed:
        return True
    if session.get(InboxRequest, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                InboxRequest(
                    key=key,
                    kind="claimed",
                    state=DONE,
                    received_at=now,
                    lease_until=now,
                    applied_at=now,
                    done_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


#: Keys whose turn need not mark them done: their claim did, in a transaction that committed.
_done_by_claim: set[str] = set()
_done_lock = threading.Lock()


def claim_event(session: Session, event_id: str | None, now: datetime) -> bool:
    """In the caller's transaction, record that event `event_id` was applied (and its request
    handled); False if it already was. One UPDATE of the event's inbox row when it has one
    that was never replayed; else through `processed_event` (see the module docstring)."""
    if event_id is None:
        return True
    taken = session.execute(
        update(InboxRequest)
        .where(
            InboxRequest.key == event_id,
            InboxRequest.applied_at.is_(None),
            InboxRequest.replays == 0,
        )
        .values(applied_at=now, state=DONE, done_at=now, body={})
        .returning(InboxRequest.key)  # psycopg tells no rowcount here
    ).first()
    if taken is not None:
        _skip_turn_finish_once_committed(session, event_id)
        return True
    row = session.get(InboxRequest, event_id)
    if row is not None and row.applied_at is not None:
        return False
    if not _claim_processed(session, event_id, now):
        return False
    if row is not None:  # a replayed request: applied now, done when its turn ends
        row.applied_at = now
        session.add(row)
    return True


def _claim_processed(session: Session, event_id: str, now: datetime) -> bool:
    """Record `event_id` in `processed_event`; False if it was there. One INSERT … ON CONFLICT
    DO NOTHING on SQLite and PostgreSQL (a concurrent claim of the same id waits for the other
    transaction and then finds it, instead of failing at commit)."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        dialect_insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        inserted = session.execute(
            dialect_insert(ProcessedEvent)
            .values(event_id=event_id, received_at=now)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(ProcessedEvent.event_id)  # psycopg tells no rowcount here
        ).first()
        return inserted is not None
    if session.get(ProcessedEvent, event_id) is not None:
        return False
    session.add(ProcessedEvent(event_id=event_id, received_at=now))
    session.flush()
    return True


def _skip_turn_finish_once_committed(session: Session, key: str) -> None:
    """When this transaction commits (not when it rolls back), the turn handling `key` in this
    thread, if any, need not mark it done (`Inbox.finish`)."""
    turn = turns.current()
    if turn is None or turn.key != key:
        return  # no turn will come to finish it: nothing to remember
    live = {"transaction": True}

    def committed(_session: Session) -> None:
        if live["transaction"]:
            with _done_lock:
                _done_by_claim.add(key)

    def rolled_back(_session: Session) -> None:
        live["transaction"] = False

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)


def _done_already(key: str) -> bool:
    with _done_lock:
        if key in _done_by_claim:
            _done_by_claim.discard(key)
            return True
    return False


class Inbox:
    """Records, finishes and replays Slack requests."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._replay: Replay | None = None
        self._stopping = threading.Event()
        self._leases = Renewer(self._renew, every=RENEW_EVERY, name="inbox-leases")
        self._records = Recorder(engine)

    def attach(self, replay: Replay) -> None:
        """Say how a stored request is handed to the app again (the app does, once built)."""
        self._replay = replay

    def stop(self) -> None:
        """Replay nothing more (shutdown)."""
        self._stopping.set()

    def record(self, key: str, kind: str, body: dict[str, Any]) -> bool:
        """Record a request before it is acknowledged: one INSERT; False if it already was
        (Slack sent it again). Raises when the database does not take it."""
        now = self.clock.now()
        row = {
            "key": key,
            "kind": kind,
            "body": body,
            "state": PENDING,
            "replays": 0,
            "received_at": now,
            "lease_until": now + LEASE,
        }
        return self._records.record(row)

    def turn(self, key: str, *, event: bool) -> Turn:
        """A turn for handling request `key`, its lease renewed until it is done.

        An event is done when the turn is over; if it failed, it is replayed (nobody was told,
        and its use cases claim its event id). Interactivity and commands are done once their
        change is committed (see slackbot.usecases.turns); if one failed, the person was told
        and tries again: it is given up.
        """
        self._leases.hold(key)
        return Turn(
            key, lambda ok: self.finish(key, ok, retry=event), done_when_committed=not event
        )

    def finish(self, key: str, ok: bool, *, retry: bool = False) -> None:
        """The request's handling ended: done (`ok`); else pending for a replay after its
        lease (`retry`), or failed. Nothing to write when the request's claim marked it done."""
        try:
            if _done_already(key):
                return
            through_database_errors(
                lambda: self._finish(key, ok, retry),
                seconds=FINISH_RETRY_SECONDS,
                what=f"the Slack request {key} was handled",
            )
        finally:
            self._leases.release(key)

    def _finish(self, key: str, ok: bool, retry: bool) -> None:
        now = self.clock.now()
        if ok:
            values: dict[str, Any] = {"state": DONE, "done_at": now, "body": {}}
        elif retry:
            values = {"lease_until": now + LEASE, "last_error": "the listener failed"}
        else:
            values = {"state": FAILED, "done_at": now, "last_error": "the listener failed"}
        with Session(writer(self.engine)) as session:
            session.execute(
                update(InboxRequest)
                .where(InboxRequest.key == key, InboxRequest.state == PENDING)
                .values(**values)
            )
            session.commit()

    def _renew(self, keys: list[str]) -> None:
        now = self.clock.now()
        with Session(writer(self.engine)) as session:
            session.execute(
                update(InboxRequest)
                .where(InboxRequest.key.in_(keys), InboxRequest.state == PENDING)
                .values(lease_until=now + LEASE)
            )
            session.commit()

    def replay_due(self, limit: int = 50) -> int:
        """Hand every unfinished request whose lease ran out to the app again; how many."""
        if self._replay is None:
            return 0
        now = self.clock.now()
        with Session(self.engine) as session:
            keys = session.exec(
                select(InboxRequest.key)
                .where(InboxRequest.state == PENDING, InboxRequest.lease_until < now)
                .order_by(InboxRequest.received_at)
                .limit(limit)
            ).all()
        replayed = 0
        for key in keys:
            if self._stopping.is_set():
                break
            body = self._claim(key)
            if body is None:
                continue
            log.warning("replaying the unfinished Slack request %s", key)
            try:
                self._replay(key, body)
            except Exception:
                log.exception("replaying %s failed; it is tried again after its lease", key)
            replayed += 1
        return replayed

    def _claim(self, key: str) -> dict[str, Any] | None:
        """Take a due request for a replay (None: someone else did, or it was given up)."""
        now = self.clock.now()
        with Session(writer(self.engine), expire_on_commit=False) as session:
            taken = session.execute(
                update(InboxRequest)
                .where(
                    InboxRequest.key == key,
                    InboxRequest.state == PENDING,
                    InboxRequest.lease_until < now,
                )
                .values(lease_until=now + LEASE, replays=InboxRequest.replays + 1)
            ).rowcount
            row = session.get(InboxRequest, key) if taken else None
            if row is not None and row.replays > MAX_REPLAYS:
                log.error("giving up the Slack request %s after %s replays", key, MAX_REPLAYS)
                row.state, row.done_at = FAILED, now
                row = None
            session.commit()
        return None if row is None else dict(row.body)

    def prune(self, older_than: timedelta = KEEP) -> int:
        """Forget finished requests older than a day (the scheduler calls this every tick)."""
        cutoff = self.clock.now() - older_than
        with Session(writer(self.engine)) as session:
            result = session.execute(
                delete(InboxRequest).where(
                    InboxRequest.received_at < cutoff,
                    or_(InboxRequest.state == DONE, InboxRequest.state == FAILED),
                )
            )
            session.commit()
        return result.rowcount or 0
