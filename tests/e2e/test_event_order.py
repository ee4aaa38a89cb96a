"""Events for one case are applied in the order Slack sent them (issue 16): an unpaced burst of
⏳ then 🚫 on one case, each sent as soon as the previous one was answered, ends returned to our
team every time; without the executor's lanes the 🚫 could overtake the ⏳ (the case ended
waiting on the vendor). (A ✅ now asks for its resolution note first, issue 13, so the pair is
the hand-off and its return, which move the case straight away and can follow each other.)"""

from __future__ import annotations

import threading
import time

from sqlmodel import Session, select

from storage.models import Case
from tests.support.flows import open_idv_case, reaction

ROUNDS = 6
CASES = 3


def _state(bot, case_id: int) -> tuple[str, int]:
    with Session(bot.services.engine) as session:
        case = session.get(Case, case_id)
        return case.status, case.version


def _wait_for_version(bot, case_id: int, version: int, timeout: float = 10.0) -> tuple[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        state = _state(bot, case_id)
        if state[1] >= version or time.monotonic() > deadline:
            return state
        time.sleep(0.02)


def test_a_burst_of_reactions_on_one_case_is_applied_in_order(bot, fake_slack):
    for _ in range(CASES):
        open_idv_case(bot.sender, fake_slack)
    with Session(bot.services.engine) as session:
        cases = [
            (c.id, (c.channel_id, c.root_ts))
            for c in session.exec(select(Case).order_by(Case.id)).all()
        ]
    assert len({message for _, message in cases}) == CASES
    counter = iter(range(10_000))
    finals: dict[int, list[tuple[str, int]]] = {case_id: [] for case_id, _ in cases}

    def burst(case_id: int, channel: str, ts: str) -> None:
        for round_ in range(ROUNDS):
            for emoji in ("hourglass_flowing_sand", "no_entry_sign"):
                response = bot.sender.event(
                    reaction(emoji, channel, ts), event_id=f"EvORDER{next(counter):05d}"
                )
                assert response.status == 200
            # Two moves per round: waiting on the vendor, then returned; out of order, the 🚫
            # finds the case not with the vendor (nothing to return) and it ends with the
            # vendor, one move short.
            finals[case_id].append(_wait_for_version(bot, case_id, 1 + 2 * (round_ + 1)))
            if finals[case_id][-1] != ("returned", 1 + 2 * (round_ + 1)):
                return  # out of order: the assertion below says how

    threads = [
        threading.Thread(target=burst, args=(case_id, channel, ts))
        for case_id, (channel, ts) in cases
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for case_id, _ in cases:
        assert finals[case_id] == [("returned", 1 + 2 * (n + 1)) for n in range(ROUNDS)]
