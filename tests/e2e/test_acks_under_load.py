"""Acks never queue behind work (issue 16).

More case buttons than the listener executor used to have threads (8) are pressed while Slack
holds its answer to the tier's member list (`conversations.members`, which a move fetches once
its one-minute cache ran out): every one of those moves is held in the middle of its work,
after its ack. Every press was answered 200 all the same, and a further press and an
`/escalate list all` sent meanwhile are answered 200 before any held move is let go; then the
moves finish. With a fixed pool of 8, the held moves kept every worker and a further press
waited for one (Bolt gives up on an ack after 3 s): this test failed.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import Session, select

from slackbot.devtools.signed import Response, block_actions
from slackbot.devtools.slack_api import Delay
from storage.models import Case
from tests.support.flows import AGENT, DANA, open_idv_case

#: Moves held in their work: more than the 8 threads the listener executor had.
HELD = 10
#: How many of them surely wait on Slack at once: the work slots (cores + 2, at least 4).
SURELY_ASKING = 4
#: Slack's answer is held until released, at most this long (the client gives up after 10 s).
HOLD_SECONDS = 8.0


def _in_thread(send) -> tuple[threading.Thread, list[Response]]:
    answers: list[Response] = []
    thread = threading.Thread(target=lambda: answers.append(send()), daemon=True)
    thread.start()
    return thread, answers


def _statuses(sent: list[tuple[threading.Thread, list[Response]]]) -> list[int]:
    for thread, _ in sent:
        thread.join(timeout=HOLD_SECONDS / 2)
    return [answers[0].status for _, answers in sent if answers]


def _press(case_id: int, channel: str, root_ts: str, user: str) -> dict:
    return block_actions(
        "case_acknowledge", str(case_id), user=user, channel=channel, message_ts=root_ts
    )


def test_presses_and_a_list_are_answered_while_earlier_moves_are_held(bot, fake_slack, clock):
    channel, root_ts = open_idv_case(bot.sender, fake_slack)
    with Session(bot.services.engine) as session:
        case_id = session.exec(select(Case.id)).one()
    clock.advance(timedelta(minutes=2))  # the member list cached so far has run out
    asked = len(fake_slack.calls_to("conversations.members"))
    release = threading.Event()
    fake_slack.delay(
        "conversations.members",
        Delay(seconds=HOLD_SECONDS, times=HELD, until=release),
    )
    try:
        held = [
            _in_thread(lambda: bot.sender.interactive(_press(case_id, channel, root_ts, DANA)))
            for _ in range(HELD)
        ]
        fake_slack.wait_for("conversations.members", asked + SURELY_ASKING, timeout=10)
        held_statuses = _statuses(held)
        probes = [
            _in_thread(lambda: bot.sender.interactive(_press(case_id, channel, root_ts, AGENT))),
            _in_thread(lambda: bot.sender.command("/escalate", "list all", user=AGENT)),
        ]
        probe_statuses = _statuses(probes)
        listed = probes[1][1][0].body if probes[1][1] else ""
        # Everything above was answered while no held move had been let go.
        assert not release.is_set()
    finally:
        release.set()
    assert held_statuses == [200] * HELD
    assert probe_statuses == [200, 200]
    assert f"ESC-{case_id}" in listed
    # Let go, the moves finish: one acknowledges the case, the others find it acknowledged.
    fake_slack.wait_until(
        lambda c: c.method == "chat.update" and "[acknowledged]" in str(c.body.get("text")),
        "the root message showing the acknowledgement",
        timeout=20,
    )
    with Session(bot.services.engine) as session:
        assert session.get(Case, case_id).status == "acknowledged"
