"""What the outbox's hot path costs in statements (issue 16), with its behaviour unchanged: a
keyed enqueue is one INSERT, a done item that nothing can wait on releases without a query, a
pass that saw every due item does not poll again unless something was enqueued meanwhile."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import event
from sqlmodel import Session

from slackbot.domain.vocabulary import OutboxKind
from slackbot.effects import RetryLater
from slackbot.usecases.outbox import Outbox, enqueue
from slackbot.usecases.outbox_waits import release_waiters
from storage.migrate import upgrade
from storage.models import OutboxItem
from tests.support.cases import Seeder


class Statements:
    """The statements this thread runs on `engine` while counting (BEGINs apart)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.seen: list[str] = []
        self._me = threading.get_ident()

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.seen

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_args) -> None:
        if threading.get_ident() == self._me and not statement.startswith("BEGIN"):
            self.seen.append(" ".join(statement.split()[:4]))


def _setup(database, clock) -> tuple[object, Outbox, int]:
    _, engine = database
    upgrade(engine)
    with Session(engine) as session:
        case = Seeder(session).case(clock.now())
        session.commit()
        case_id = case.id
    return engine, Outbox(engine, clock), case_id


def _add(engine, clock, kind: str, case_id: int | None, key: str | None = None) -> int:
    with Session(engine) as session:
        item = enqueue(
            session, kind=kind, payload={}, now=clock.now(), case_id=case_id, dedup_key=key
        )
        session.commit()
        return item.id


def test_a_keyed_enqueue_is_one_insert_and_a_second_one_finds_the_first(database, clock):
    engine, _, case_id = _setup(database, clock)
    with Session(engine) as session, Statements(engine) as seen:
        first = enqueue(session, kind="k", payload={}, now=clock.now(), dedup_key="once:1")
        assert len(seen) == 1 and seen[0].startswith("INSERT INTO outbox")
        again = enqueue(session, kind="k", payload={"x": 1}, now=clock.now(), dedup_key="once:1")
        assert again.id == first.id and again.payload == {}
    assert len(seen) == 3  # the INSERT that did nothing, then the read of the one recorded


def test_only_an_item_that_can_be_waited_on_looks_for_waiters(database, clock):
    engine, _, case_id = _setup(database, clock)
    waiter = _add(engine, clock, OutboxKind.SLACK_POST, case_id)
    with Session(engine) as session:
        row = session.get(OutboxItem, waiter)
        row.last_error, row.next_attempt_at = "waiting: root", clock.now() + timedelta(hours=1)
        session.add(row)
        session.commit()
    refresh = _add(engine, clock, OutboxKind.SLACK_ROOT, case_id)  # a move's root edit
    dm = _add(engine, clock, OutboxKind.SLACK_EPHEMERAL, case_id, key="opener-dm:1")
    root = _add(engine, clock, OutboxKind.SLACK_ROOT, case_id, key=f"root-post:{case_id}")
    with Session(engine) as session:
        items = {i: session.get(OutboxItem, i) for i in (refresh, dm, root)}
    with Statements(engine) as seen:
        assert release_waiters(engine, items[refresh], clock.now()) == []
        assert release_waiters(engine, items[dm], clock.now()) == []
    assert seen == []  # no query at all
    assert release_waiters(engine, items[root], clock.now()) == [waiter]


def test_a_waiter_behind_an_item_nobody_waits_on_is_not_left_waiting(database, clock):
    """The waiting side's check ignores items that release nobody: a reply whose root is posted
    already goes out in the same pass, though a root edit of its case is still in flight."""
    engine, outbox, case_id = _setup(database, clock)
    posted = threading.Event()
    sent = []
    outbox.register(OutboxKind.SLACK_ROOT, lambda item: None)

    def reply(item):
        if not posted.is_set():
            posted.set()  # the root was posted meanwhile: this attempt missed it
            raise RetryLater("waiting for the root message", timedelta(hours=1), count=False)
        sent.append(item.id)

    outbox.register(OutboxKind.SLACK_POST, reply)
    edit = _add(engine, clock, OutboxKind.SLACK_ROOT, case_id)
    other = Outbox(engine, clock)
    assert other._claim(edit) is not None  # the root edit is in flight elsewhere
    reply_id = _add(engine, clock, OutboxKind.SLACK_POST, case_id)
    outbox.deliver_due()
    assert sent == [reply_id]  # tried again at once, the clock never moved


def test_a_serial_pass_that_saw_every_due_item_polls_once(database, clock):
    """One delivery thread (`workers=1`); the lanes' pass still polls once more (not changed)."""
    engine, _, case_id = _setup(database, clock)
    outbox = Outbox(engine, clock, workers=1)
    outbox.register("k", lambda item: None)
    for _ in range(2):
        _add(engine, clock, "k", case_id)
    with Statements(engine) as seen:
        assert outbox.deliver_due() == 2
    assert sum(s.startswith("SELECT outbox.id FROM") for s in seen) == 1


def test_an_item_enqueued_during_a_pass_is_delivered_in_it(database, clock):
    engine, outbox, case_id = _setup(database, clock)
    performed = []

    def first(item):
        performed.append(item.kind)
        _add(engine, clock, "second", case_id)  # e.g. what an email's done mark queues

    outbox.register("first", first)
    outbox.register("second", lambda item: performed.append(item.kind))
    _add(engine, clock, "first", case_id)
    assert outbox.deliver_due() == 2
    assert performed == ["first", "second"]
