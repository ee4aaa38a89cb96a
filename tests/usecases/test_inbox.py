"""The durable inbox: every Slack request that changes state is recorded before it is answered,
marked done when its listener (and the work it handed on) ended, and replayed when it never
was; a database that does not take the record means no answer, so Slack sends it again."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from slackbot.devtools.signed import block_actions
from slackbot.devtools.slack_api import Delay
from slackbot.scheduler import run_tick
from slackbot.usecases import inbox as inbox_module
from slackbot.usecases.inbox import claim, request_key
from slackbot.usecases.turns import Turn, TurnExecutor, enter, leave
from storage.db import write_session
from storage.migrate import upgrade
from storage.models import Case, CaseEvent, InboxRequest
from tests.support.flows import open_idv_case, reaction


def _envelope(event: dict, event_id: str) -> dict:
    return {"type": "event_callback", "event_id": event_id, "event": event, "team_id": "T0TEAM001"}


def _rows(engine) -> dict[str, InboxRequest]:
    with Session(engine) as session:
        return {row.key: row for row in session.exec(select(InboxRequest)).all()}


def _moves(engine) -> list[tuple[str | None, str | None]]:
    with Session(engine) as session:
        events = session.exec(
            select(CaseEvent).where(CaseEvent.kind == "status_changed").order_by(CaseEvent.id)
        ).all()
        return [(e.from_status, e.to_status) for e in events]


def test_what_is_recorded_and_under_which_key():
    reacted = _envelope({"type": "reaction_added"}, "Ev1")
    assert request_key(reacted) == ("event:reaction_added", "Ev1")
    assert request_key(_envelope({"type": "app_home_opened"}, "Ev2")) is None
    pressed = block_actions("case_resolve", "1")
    kind, key = request_key(pressed)
    assert kind == "block_actions" and request_key(dict(pressed)) == (kind, key)
    assert request_key({**pressed, "trigger_id": "another"})[1] != key
    move = {"command": "/escalate", "text": "move ESC-1 resolve", "trigger_id": "1.2"}
    assert request_key(move)[0] == "command"
    assert request_key({**move, "text": "ticket ESC-1 T-9"})[0] == "command"
    assert request_key({**move, "text": "list"}) is None
    assert request_key({"command": "/emergency", "trigger_id": "1.2"}) is None


def test_claim_says_once_that_a_request_was_applied(database, clock):
    _, engine = database
    upgrade(engine)
    services_inbox = inbox_module.Inbox(engine, clock)
    assert services_inbox.record("EvA", "event:reaction_added", {"type": "event_callback"})
    assert not services_inbox.record("EvA", "event:reaction_added", {"type": "event_callback"})
    with write_session(engine) as session:
        assert claim(session, "EvA", clock.now()) is True  # the recorded request
        assert claim(session, "EvA", clock.now()) is False
        assert claim(session, "EvNeverRecorded", clock.now()) is True  # a direct call
        assert claim(session, "EvNeverRecorded", clock.now()) is False
        assert claim(session, None, clock.now()) is True


def test_a_reaction_is_recorded_before_the_answer_and_done_with_its_body_blanked(bot, fake_slack):
    channel, root_ts = open_idv_case(bot.sender, fake_slack)
    assert bot.sender.event(reaction("eyes", channel, root_ts), event_id="EvEyes").status == 200
    fake_slack.wait_until(lambda c: "moved" in str(c.body.get("text")), "the move's note")
    row = _wait_for_state(bot.services.engine, "EvEyes", "done")
    assert row.kind == "event:reaction_added" and row.body == {}
    assert row.applied_at is not None  # the move's event claim was its done mark (issue 16)
    assert _moves(bot.services.engine) == [("open", "acknowledged")]
    recorded = _rows(bot.services.engine)
    assert {r.kind for r in recorded.values()} == {"view_submission", "event:reaction_added"}
    assert all(r.state == "done" for r in recorded.values())


def test_when_the_database_does_not_take_the_record_slack_gets_no_answer_and_sends_again(
    bot, fake_slack
):
    channel, root_ts = open_idv_case(bot.sender, fake_slack)
    refusals = _refuse(bot.services.engine, "INSERT INTO inbox", times=1)
    event_ = reaction("eyes", channel, root_ts)
    assert bot.sender.event(event_, event_id="EvDown").status == 503
    assert refusals["left"] == 0
    assert _moves(bot.services.engine) == []
    assert bot.sender.event(event_, event_id="EvDown", retry_num=1).status == 200
    _wait_for_state(bot.services.engine, "EvDown", "done")
    assert _moves(bot.services.engine) == [("open", "acknowledged")]


def test_a_request_acknowledged_by_a_process_that_died_is_replayed_after_its_lease(
    bot, fake_slack, clock
):
    channel, root_ts = open_idv_case(bot.sender, fake_slack)
    body = {
        "type": "event_callback",
        "event_id": "EvLost",
        "team_id": "T0TEAM001",
        "api_app_id": "A0APP0001",
        "authorizations": [{"team_id": "T0TEAM001", "user_id": "UBOT0001", "is_bot": True}],
        "event": reaction("eyes", channel, root_ts),
    }
    # Recorded and answered, then the process died before its listener ran.
    assert bot.services.inbox.record("EvLost", "event:reaction_added", body)
    run_tick(bot.services)
    assert _moves(bot.services.engine) == []  # its lease has not run out: it may be running
    clock.advance(inbox_module.LEASE + timedelta(seconds=1))
    run_tick(bot.services)
    row = _wait_for_state(bot.services.engine, "EvLost", "done")
    assert row.replays == 1
    assert _moves(bot.services.engine) == [("open", "acknowledged")]
    clock.advance(timedelta(minutes=5))
    run_tick(bot.services)
    assert _moves(bot.services.engine) == [("open", "acknowledged")]


def test_a_replay_of_a_move_already_applied_changes_nothing(bot, fake_slack, clock):
    channel, root_ts = open_idv_case(bot.sender, fake_slack)
    assert bot.sender.event(reaction("eyes", channel, root_ts), event_id="EvTwice").status == 200
    _wait_for_state(bot.services.engine, "EvTwice", "done")
    with write_session(bot.services.engine) as session:  # as if it had never been marked done
        row = session.get(InboxRequest, "EvTwice")
        row.state, row.body = "pending", _envelope(reaction("eyes", channel, root_ts), "EvTwice")
        session.add(row)
    clock.advance(timedelta(minutes=1))
    run_tick(bot.services)
    _wait_for_state(bot.services.engine, "EvTwice", "done")
    assert _moves(bot.services.engine) == [("open", "acknowledged")]


def test_a_move_command_is_done_only_once_the_move_it_answered_for_is(bot, fake_slack):
    channel, root_ts = open_idv_case(bot.sender, fake_slack)
    with Session(bot.services.engine) as session:
        case_id = session.exec(select(Case.id)).one()
    fake_slack.delay("conversations.members", Delay(1.0))
    answer = bot.sender.command("/escalate", f"move ESC-{case_id} acknowledge", user="U0DANA001")
    assert answer.status == 200
    [row] = [r for r in _rows(bot.services.engine).values() if r.kind == "command"][-1:]
    fake_slack.wait_for("conversations.members")
    assert _rows(bot.services.engine)[row.key].state == "pending"  # answered, not moved yet
    _wait_for_state(bot.services.engine, row.key, "done")
    assert _moves(bot.services.engine) == [("open", "acknowledged")]


def test_work_handed_to_the_listener_executor_belongs_to_the_turn():
    finished: list[bool] = []
    executor = TurnExecutor(max_workers=2)
    turn = Turn("k", finished.append, done_when_committed=False)
    gate = threading.Event()
    token = enter(turn)
    try:
        executor.submit(gate.wait, 5)
    finally:
        leave(token)
    turn.release(True)  # the listener returned; the work it handed on has not
    assert finished == []
    gate.set()
    executor.shutdown(wait=True)
    assert finished == [True]


def test_work_cancelled_at_shutdown_leaves_its_request_unfinished():
    finished: list[bool] = []
    executor = TurnExecutor(max_workers=1)
    gate = threading.Event()
    executor.submit(gate.wait, 5)  # the only worker is busy
    turn = Turn("k", finished.append, done_when_committed=False)
    token = enter(turn)
    try:
        executor.submit(lambda: None)
    finally:
        leave(token)
    turn.release(True)
    executor.shutdown(wait=False, cancel_futures=True)
    gate.set()
    assert finished == []


def _wait_for_state(engine, key: str, state: str, timeout: float = 5.0) -> InboxRequest:
    deadline = time.monotonic() + timeout
    while True:
        row = _rows(engine).get(key)
        if row is not None and row.state == state:
            return row
        assert time.monotonic() < deadline, f"{key} is {row and row.state}, not {state}"
        time.sleep(0.02)


def _refuse(engine, prefix: str, *, times: int) -> dict[str, int]:
    left = {"left": times}

    def refuse(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith(prefix) and left["left"]:
            left["left"] -= 1
            raise OperationalError(statement, parameters, ConnectionError("database away"))

    event.listen(engine, "before_cursor_execute", refuse)
    return left


def test_requests_recorded_at_once_while_the_write_lock_is_held_all_go_in_once(database, clock):
    _, engine = database
    upgrade(engine)
    inbox = inbox_module.Inbox(engine, clock)
    answers: dict[int, bool] = {}
    holding, go = threading.Event(), threading.Event()

    def hold_the_lock() -> None:  # a listener's transaction, slow to commit
        with write_session(engine) as session:
            session.add(
                InboxRequest(key="held", kind="k", received_at=clock.now(), lease_until=clock.now())
            )
            session.flush()
            holding.set()
            go.wait(5)

    def record(n: int) -> None:
        answers[n] = inbox.record(f"Ev{n % 10}", "event:reaction_added", {"n": n})

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert holding.wait(5)
    recorders = [threading.Thread(target=record, args=(n,)) for n in range(20)]
    for thread in recorders:
        thread.start()
    time.sleep(0.2)
    go.set()
    for thread in [holder, *recorders]:
        thread.join(10)
    assert sorted(answers) == list(range(20))
    assert sum(answers.values()) == 10  # each of the ten keys once; the others were duplicates
    assert len(_rows(engine)) == 11
