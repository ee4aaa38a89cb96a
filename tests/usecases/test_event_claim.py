"""An event's claim is its recorded request's done mark (issue 16): one UPDATE in the use case's
transaction, committed with the change or not at all; the turn's own done mark is skipped only
once that committed; replays and requests never recorded go through `processed_event`."""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlmodel import Session

from slackbot.usecases.inbox import Inbox, claim_event
from slackbot.usecases.turns import enter, leave
from storage.db import write_session
from storage.migrate import upgrade
from storage.models import InboxRequest, ProcessedEvent


def _inbox(database, clock) -> Inbox:
    _, engine = database
    upgrade(engine)
    return Inbox(engine, clock)


def _row(engine, key: str) -> InboxRequest | None:
    with Session(engine) as session:
        return session.get(InboxRequest, key)


def _inbox_updates(engine) -> list[str]:
    """The UPDATEs of the inbox this thread runs from now on."""
    seen: list[str] = []
    me = threading.get_ident()

    def count(_conn, _cursor, statement, *_args) -> None:
        if threading.get_ident() == me and statement.startswith("UPDATE inbox"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    return seen


def test_the_claim_marks_the_request_done_with_the_change_and_only_once(database, clock):
    inbox = _inbox(database, clock)
    engine = inbox.engine
    assert inbox.record("EvOne", "event:reaction_added", {"event_id": "EvOne"})
    with write_session(engine) as session:
        assert claim_event(session, "EvOne", clock.now()) is True
        assert _row(engine, "EvOne").state == "pending"  # not before the change commits
    row = _row(engine, "EvOne")
    assert (row.state, row.body, row.applied_at is not None) == ("done", {}, True)
    with write_session(engine) as session:  # Slack's redelivery, or a second use case
        assert claim_event(session, "EvOne", clock.now()) is False
    with Session(engine) as session:
        assert session.get(ProcessedEvent, "EvOne") is None


def test_a_rolled_back_claim_leaves_the_request_to_its_turn(database, clock):
    inbox = _inbox(database, clock)
    engine = inbox.engine
    for key in ("EvKept", "EvRolledBack"):
        inbox.record(key, "event:reaction_added", {"event_id": key})
    updates = _inbox_updates(engine)

    turn = inbox.turn("EvRolledBack", event=True)
    token = enter(turn)
    with write_session(engine) as session:
        assert claim_event(session, "EvRolledBack", clock.now()) is True
        session.rollback()  # e.g. NEEDS_MEMBERS: the pass is thrown away
    leave(token)
    assert _row(engine, "EvRolledBack").state == "pending"
    turn.release(True)  # the turn marks it done itself
    assert _row(engine, "EvRolledBack").state == "done"
    assert len(updates) == 2  # the rolled-back claim, then the turn's done mark

    turn = inbox.turn("EvKept", event=True)
    token = enter(turn)
    with write_session(engine) as session:
        assert claim_event(session, "EvKept", clock.now()) is True
    leave(token)
    turn.release(True)
    assert _row(engine, "EvKept").state == "done"
    assert len(updates) == 3  # the claim only: the turn had nothing left to write


def test_a_replayed_request_is_claimed_through_processed_event(database, clock):
    inbox = _inbox(database, clock)
    engine = inbox.engine
    for key in ("EvOldClaim", "EvNeverApplied"):
        inbox.record(key, "event:reaction_added", {"event_id": key})
    with write_session(engine) as session:
        for key in ("EvOldClaim", "EvNeverApplied"):
            row = session.get(InboxRequest, key)
            row.replays = 1  # taken for a replay after its process died
            session.add(row)
        # A version that claimed in processed_event only had applied this one before it died.
        session.add(ProcessedEvent(event_id="EvOldClaim", received_at=clock.now()))
    with write_session(engine) as session:
        assert claim_event(session, "EvOldClaim", clock.now()) is False
        assert claim_event(session, "EvNeverApplied", clock.now()) is True
    assert _row(engine, "EvNeverApplied").applied_at is not None
    with write_session(engine) as session:
        assert claim_event(session, "EvNeverApplied", clock.now()) is False


def test_an_event_never_recorded_is_claimed_once_through_processed_event(database, clock):
    inbox = _inbox(database, clock)
    with write_session(inbox.engine) as session:
        assert claim_event(session, "EvDirect", clock.now()) is True
        assert claim_event(session, None, clock.now()) is True
    with write_session(inbox.engine) as session:
        assert claim_event(session, "EvDirect", clock.now()) is False
        assert session.get(ProcessedEvent, "EvDirect") is not None
