"""How many SQL statements one reaction costs, from the signed request to the last Slack call
(issue 16: "≤ 12 SQL statements per reaction"; bench/PROFILE.md lists them by origin).

The bench's `paced` phase measures the same thing in a separate process; this test pins the
count on the in-process bot so that a change adding statements to the hot path fails here.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from sqlalchemy import event
from sqlmodel import Session, select

from slackbot.domain.vocabulary import OutboxState
from storage.models import Case, InboxRequest, OutboxItem
from tests.support.flows import AGENT, open_idv_case, reaction

#: The ⏳ reaction of the bench on an open case: the move (case lock, event claim, compare-and-set,
#: the vendor clocks, the event log, the root refresh, the opener's DM, the move note) and the
#: delivery of its three Slack calls (root edit, note, DM). 37 on the code before issue 16's
#: statement cuts; 22 after them on SQLite and PostgreSQL, 23 with the delivery lanes (their pass
#: polls for due items once more after the last one). SQLite's own BEGINs are not counted
#: (PostgreSQL has none).
BUDGET = 23


class StatementCounter:
    """Every statement the bot's threads run on `engine` (this test's own queries apart)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.mine = threading.get_ident()
        self.statements: list[str] = []
        self._lock = threading.Lock()

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_args) -> None:
        if threading.get_ident() == self.mine or statement.startswith("BEGIN"):
            return
        with self._lock:
            self.statements.append(" ".join(statement.split()[:3]))

    def count(self) -> int:
        with self._lock:
            return len(self.statements)

    def settle(self, quiet: float = 0.6, timeout: float = 20.0) -> None:
        """Wait until the bot ran no statement for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last, since = self.count(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.count()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
        raise AssertionError("the bot never went quiet")


def _busy(engine) -> list[OutboxItem]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(OutboxItem).where(
                    OutboxItem.state.in_([OutboxState.PENDING, OutboxState.IN_FLIGHT]),
                    OutboxItem.last_error.is_(None),
                )
            ).all()
        )


def test_one_reaction_costs_at_most_the_budget_of_statements(bot, fake_slack):
    engine = bot.services.engine
    channel, first_ts = open_idv_case(bot.sender, fake_slack)
    # A first ⏳ fetches the channel's members (cached a minute), as in a bot already at work.
    bot.sender.event(reaction("hourglass_flowing_sand", channel, first_ts), event_id="EvWARM1")
    fake_slack.wait_until(
        lambda c: c.method == "chat.postMessage" and c.body.get("thread_ts") == first_ts,
        "the first move note",
    )
    open_idv_case(bot.sender, fake_slack)
    with Session(engine) as session:
        root_ts = session.exec(select(Case.root_ts).order_by(Case.id.desc())).first()
    with StatementCounter(engine) as counter:
        counter.settle()  # what the openings queued is delivered
        fake_slack.reset()
        before = counter.count()
        response = bot.sender.event(
            reaction("hourglass_flowing_sand", channel, root_ts), event_id="EvBUDGET1"
        )
        assert response.status == 200
        fake_slack.wait_until(
            lambda c: c.method == "chat.update" and c.body.get("ts") == root_ts, "the root edit"
        )
        fake_slack.wait_until(
            lambda c: c.method == "chat.postMessage" and c.body.get("thread_ts") == root_ts,
            "the move note",
        )
        fake_slack.wait_until(
            lambda c: c.method == "chat.postMessage" and c.body.get("channel") == AGENT,
            "the opener's DM",
        )
        counter.settle()
        spent = counter.statements[before:]
    with Session(engine) as session:
        statuses = session.exec(select(Case.status).order_by(Case.id)).all()
        assert statuses == ["with_vendor", "with_vendor"]
        inbox = session.get(InboxRequest, "EvBUDGET1")
        assert inbox is not None and inbox.state == "done"
    assert not _busy(engine)
    assert len(spent) <= BUDGET, "\n".join(f"{n:3} {s}" for n, s in Counter(spent).most_common())
