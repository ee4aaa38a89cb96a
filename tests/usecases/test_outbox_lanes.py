"""The outbox's lanes (issue 16): while Slack holds a call for one case, the items of other cases
go out; the items of one case are performed one at a time in id order however wide the pool and
however many passes run; a failing item keeps back what waits on it, as before; a pool of one is
the serial loop; a performer that commits and kicks does not wait on itself; shutdown lets the
items in flight finish and claims nothing new."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from slack_sdk import WebClient
from sqlmodel import Session, select

from slackbot.devtools.slack_api import Delay
from slackbot.effects import RetryLater
from slackbot.usecases import outbox_lanes
from slackbot.usecases.outbox import Outbox, enqueue
from storage.migrate import upgrade
from storage.models import Case, OutboxItem
from tests.support.cases import Seeder
from tests.support.flows import open_idv_case, reaction
from tests.support.waiting import wait_until

HOLD = 20.0  # seconds the fake Slack holds a call at most; the tests release it long before


def _setup(database, clock, workers=4, cases=2):
    _, engine = database
    upgrade(engine)
    with Session(engine) as session:
        ids = [Seeder(session).case(clock.now()).id for _ in range(cases)]
        session.commit()
    return engine, Outbox(engine, clock, workers=workers), ids


def _queue(engine, clock, *items, kind="k"):
    """Enqueue (case id, n) items in the order given; their ids."""
    with Session(engine) as session:
        ids = [
            enqueue(session, kind=kind, payload={"n": n}, now=clock.now(), case_id=case_id).id
            for case_id, n in items
        ]
        session.commit()
    return ids


def _states(engine) -> dict[int, str]:
    with Session(engine) as session:
        return {row.id: row.state for row in session.exec(select(OutboxItem)).all()}


def _in_thread(fn, *args):
    thread = threading.Thread(target=fn, args=args, daemon=True)
    thread.start()
    return thread


def test_while_slack_holds_a_call_for_one_case_the_other_cases_items_go_out(
    database, clock, fake_slack
):
    engine, outbox, (a, b) = _setup(database, clock)
    channel = fake_slack.add_channel("#lanes", bot_in=True)
    client = WebClient(token="xoxb-test-token", base_url=fake_slack.url, timeout=HOLD + 5)

    def post(item):
        client.chat_postMessage(channel=channel, text=f"case {item.case_id} #{item.payload['n']}")

    outbox.register("k", post)
    release = threading.Event()
    fake_slack.delay(
        "chat.postMessage",
        Delay(HOLD, match=lambda body: body.get("text") == f"case {a} #1", until=release),
    )
    _queue(engine, clock, (a, 1), (b, 1), (a, 2), (b, 2))
    passing = _in_thread(outbox.deliver_due)
    fake_slack.wait_for_post(f"case {a} #1")  # recorded; its answer is held
    fake_slack.wait_for_post(f"case {b} #2")  # case B meanwhile, in order
    # What is enqueued and kicked meanwhile goes out too: the waiting pass selects again.
    _queue(engine, clock, (b, 3))
    _in_thread(outbox.kick)
    fake_slack.wait_for_post(f"case {b} #3")
    texts = [call.body["text"] for call in fake_slack.calls_to("chat.postMessage")]
    assert f"case {a} #2" not in texts  # case A's next waits for its first
    release.set()
    passing.join(10)
    assert not passing.is_alive()
    texts = [call.body["text"] for call in fake_slack.calls_to("chat.postMessage")]
    assert [t for t in texts if t.startswith(f"case {a} ")] == [f"case {a} #1", f"case {a} #2"]
    assert [t for t in texts if t.startswith(f"case {b} ")] == [f"case {b} #{n}" for n in (1, 2, 3)]
    assert set(_states(engine).values()) == {"done"}


def test_items_of_one_case_go_one_at_a_time_in_id_order_however_wide_the_pool(database, clock):
    engine, outbox, cases = _setup(database, clock, workers=4, cases=3)
    lock = threading.Lock()
    performed: dict[int, list[int]] = {case_id: [] for case_id in cases}
    in_hand: dict[int, int] = dict.fromkeys(cases, 0)
    most = {"case": 0, "all": 0}

    others_done = threading.Event()

    def perform(item):
        with lock:
            in_hand[item.case_id] += 1
            most["case"] = max(most["case"], in_hand[item.case_id])
            most["all"] = max(most["all"], sum(in_hand.values()))
        if item.payload["n"] == 0:
            # The first item is slow: the other cases go on meanwhile; the first case's next
            # items must wait for it (two serial passes at once would take them meanwhile).
            assert others_done.wait(10)
        time.sleep(0.005)
        with lock:
            in_hand[item.case_id] -= 1
            performed[item.case_id].append(item.id)
            if sum(len(done) for case_id, done in performed.items() if case_id != cases[0]) >= 3:
                others_done.set()

    outbox.register("k", perform)
    ids = _queue(engine, clock, *[(cases[n % 3], n) for n in range(36)])
    # The deliverer and the scheduler's tick at once: they share the lanes.
    passes = [_in_thread(outbox.deliver_due) for _ in range(2)]
    for thread in passes:
        thread.join(30)
    for case_id in cases:
        mine = [item_id for n, item_id in enumerate(ids) if cases[n % 3] == case_id]
        assert performed[case_id] == mine
    assert most["case"] == 1  # never two items of one case at once
    assert most["all"] > 1  # but cases in parallel
    assert set(_states(engine).values()) == {"done"}


def test_a_failing_root_keeps_its_reply_back_and_the_other_case_goes_on(database, clock):
    engine, outbox, (a, b) = _setup(database, clock)
    posted: list[str] = []
    root_up = threading.Event()

    def root(item):
        if not item.attempts:
            raise RetryLater("Slack answered 500")  # not posted; backoff
        root_up.set()
        posted.append(f"root {item.case_id}")

    def reply(item):
        if item.case_id == a and not root_up.is_set():
            raise RetryLater("root message not posted yet", timedelta(hours=1), count=False)
        posted.append(f"reply {item.case_id}")

    outbox.register("root", root)
    outbox.register("reply", reply)
    [root_a] = _queue(engine, clock, (a, 0), kind="root")
    [reply_a, reply_b] = _queue(engine, clock, (a, 1), (b, 1), kind="reply")
    outbox.deliver_due()
    assert posted == [f"reply {b}"]  # case B was not held back by case A's failure
    with Session(engine) as session:
        assert session.get(OutboxItem, reply_a).last_error.startswith("waiting: ")
        assert session.get(OutboxItem, root_a).attempts == 1
    clock.advance(timedelta(minutes=1))  # the root's backoff, not the reply's hour
    outbox.deliver_due()
    assert posted == [f"reply {b}", f"root {a}", f"reply {a}"]  # in the same pass, in order
    assert set(_states(engine).values()) == {"done"}


def test_a_pool_of_one_is_the_serial_loop_in_id_order_on_the_delivering_thread(database, clock):
    engine, outbox, (a, b) = _setup(database, clock, workers=1)
    performed: list[tuple[int, str]] = []
    outbox.register("k", lambda item: performed.append((item.id, threading.current_thread().name)))
    ids = _queue(engine, clock, (a, 1), (b, 1), (a, 2), (None, 3), (b, 2))
    thread = threading.Thread(target=outbox.deliver_due, name="the-caller")
    thread.start()
    thread.join(10)
    assert performed == [(item_id, "the-caller") for item_id in ids]


def test_a_performer_that_commits_and_kicks_does_not_wait_on_itself(database, clock):
    engine, outbox, (a, _) = _setup(database, clock)
    performed: list[int] = []

    def perform(item):
        performed.append(item.payload["n"])
        if item.payload["n"] == 1:  # like asking the opener for an invitation: enqueue, kick
            _queue(engine, clock, (a, 2))
            outbox.kick()

    outbox.register("k", perform)
    _queue(engine, clock, (a, 1))
    kicker = _in_thread(outbox.kick)  # the deliverer's pass, as after a listener's commit
    kicker.join(10)
    assert not kicker.is_alive()  # waiting on its own lane would never end
    assert performed == [1, 2]
    outbox.stop()


def test_lane_threads_end_when_idle_and_come_back_for_the_next_pass(database, clock, monkeypatch):
    monkeypatch.setattr(outbox_lanes, "IDLE_SECONDS", 0.05)
    engine, outbox, (a, b) = _setup(database, clock)
    performed: list[int] = []
    outbox.register("k", lambda item: performed.append(item.payload["n"]))
    _queue(engine, clock, (a, 1), (b, 2))
    assert outbox.deliver_due() == 2
    wait_until(lambda: not _lane_threads())
    _queue(engine, clock, (a, 3), (b, 4))
    assert outbox.deliver_due() == 2
    assert sorted(performed) == [1, 2, 3, 4]
    wait_until(lambda: not _lane_threads())


def _lane_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if "-lane-" in t.name]


def test_shutdown_lets_the_items_in_flight_finish_and_claims_nothing_new(database, clock):
    engine, outbox, (a, b) = _setup(database, clock)
    started = {a: threading.Event(), b: threading.Event()}
    finish = threading.Event()

    def perform(item):
        started[item.case_id].set()
        assert finish.wait(HOLD)

    outbox.register("k", perform)
    first_a, first_b, second_a, second_b = _queue(engine, clock, (a, 1), (b, 1), (a, 2), (b, 2))
    passing = _in_thread(outbox.deliver_due)
    assert started[a].wait(10) and started[b].wait(10)  # both cases in flight
    outbox.stop()
    passing.join(10)
    assert not passing.is_alive()  # the pass ended at once
    assert outbox.close(timeout=0.2) is False  # still performing: close waits for them
    closing = _in_thread(outbox.close)
    finish.set()
    closing.join(10)
    assert not closing.is_alive()
    states = _states(engine)
    assert (states[first_a], states[first_b]) == ("done", "done")
    assert (states[second_a], states[second_b]) == ("pending", "pending")  # never claimed
    assert outbox.deliver_due() == 0


def test_a_held_root_edit_of_one_case_does_not_hold_back_another_cases(bot, fake_slack):
    """Through the bot: a 👀 on each of two cases; Slack holds the first case's root edit and
    the second case's is made meanwhile."""
    for _ in range(2):
        open_idv_case(bot.sender, fake_slack)
    with Session(bot.services.engine) as session:
        cases = session.exec(select(Case).order_by(Case.id)).all()
        (channel, held_ts), (_, other_ts) = [(case.channel_id, case.root_ts) for case in cases]
    before = len(fake_slack.calls_to("chat.update"))

    def edited(ts):
        calls = fake_slack.calls_to("chat.update")[before:]
        return [call for call in calls if call.body.get("ts") == ts]

    release = threading.Event()
    fake_slack.delay(
        "chat.update", Delay(HOLD, match=lambda body: body.get("ts") == held_ts, until=release)
    )
    bot.sender.event(reaction("eyes", channel, held_ts), event_id="EvLANES001")
    wait_until(lambda: edited(held_ts))  # recorded; its answer is held
    bot.sender.event(reaction("eyes", channel, other_ts), event_id="EvLANES002")
    # Within 5 s: the bot's client gives up on the held call after 10 s.
    wait_until(lambda: edited(other_ts) and _statuses(bot) == ["acknowledged"] * 2)
    assert len(edited(held_ts)) == 1  # still held, not tried again
    release.set()


def _statuses(bot) -> list[str]:
    with Session(bot.services.engine) as session:
        return [case.status for case in session.exec(select(Case).order_by(Case.id)).all()]
